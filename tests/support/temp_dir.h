// A fresh folder per test, for every test binary: see README.md.
#ifndef LINK_MIGRATION_TESTS_SUPPORT_TEMP_DIR_H
#define LINK_MIGRATION_TESTS_SUPPORT_TEMP_DIR_H

#include <filesystem>
#include <string>
#include <vector>

namespace lm::test {

// A fresh, empty folder (mode 0700) under the system's temporary folder
// ($TMPDIR, else /tmp), removed with everything in it when the object goes
// away, folders a test made read-only included. With LM_KEEP_TEST_TEMP set
// in the environment it is kept, for a look after the test.
class TempDir {
 public:
  // Throws std::runtime_error when the folder cannot be made.
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::filesystem::path& relative) const { return path_ / relative; }
  // The names of the entries right in the folder, sorted.
  std::vector<std::string> Entries() const;

 private:
  std::filesystem::path path_;
};

}  // namespace lm::test

#endif  // LINK_MIGRATION_TESTS_SUPPORT_TEMP_DIR_H
