// Whole-file reads and writes for tests: see README.md.
#ifndef LINK_MIGRATION_TESTS_SUPPORT_FILES_H
#define LINK_MIGRATION_TESTS_SUPPORT_FILES_H

#include <filesystem>
#include <string>

namespace lm::test {

// The bytes of `file`. Throws std::runtime_error naming the file when it
// cannot be read (a missing file is not read as empty).
std::string ReadFile(const std::filesystem::path& file);

// Replaces the contents of `file` with `bytes`, making missing parent
// folders first. Throws std::runtime_error naming the file on failure.
void WriteFile(const std::filesystem::path& file, const std::string& bytes);

}  // namespace lm::test

#endif  // LINK_MIGRATION_TESTS_SUPPORT_FILES_H
