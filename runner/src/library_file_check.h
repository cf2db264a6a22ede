// Checks a shared-library file before the dynamic loader maps it. dlopen of a
// truncated file (a copy still in progress) can kill the process with SIGBUS
// when it touches pages past the end, so the runner reads the headers first.
#ifndef LINK_MIGRATION_RUNNER_LIBRARY_FILE_CHECK_H
#define LINK_MIGRATION_RUNNER_LIBRARY_FILE_CHECK_H

#include <filesystem>
#include <string>

namespace lm {

// Empty when the file is a complete shared library for this machine;
// otherwise why not, in a few words ("truncated: ...", "not an ELF file").
std::string CheckLibraryFile(const std::filesystem::path& path);

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_LIBRARY_FILE_CHECK_H
