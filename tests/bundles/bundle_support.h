// What the bundle and trust tests share: where the runner, the stores and
// the test plugins were built; a fresh folder per test; running the real
// link-migration binary as a child process; and reading and rewriting a
// bundle's tar members (through libarchive, independently of the runner's
// own tar code) to craft tampered copies.
#ifndef LINK_MIGRATION_TESTS_BUNDLES_BUNDLE_SUPPORT_H
#define LINK_MIGRATION_TESTS_BUNDLES_BUNDLE_SUPPORT_H

#include <gtest/gtest.h>
#include <sys/types.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace bundle_test {

namespace fs = std::filesystem;

inline const fs::path kRunner = BUNDLE_TEST_RUNNER;
inline const fs::path kJsonFileStore = BUNDLE_TEST_JSON_FILE_STORE;
// Made at build time by link_migration_add_bundle (tests/bundles/CMakeLists.txt).
inline const fs::path kHelperBundle = BUNDLE_TEST_HELPER_BUNDLE;
// plugins_example's build output: conf-bundle.json and bookshop.lmbundle.
inline const fs::path kExampleDir = BUNDLE_TEST_EXAMPLE_DIR;

namespace plugin {
inline const fs::path kStep1 = BUNDLE_TEST_PLUGIN_STEP_1;        // version 1
inline const fs::path kStep2 = BUNDLE_TEST_PLUGIN_STEP_2;        // version 2
inline const fs::path kStep3 = BUNDLE_TEST_PLUGIN_STEP_3;        // version 3
inline const fs::path kPair = BUNDLE_TEST_PLUGIN_PAIR;           // versions 10 and 11
inline const fs::path kWhere = BUNDLE_TEST_PLUGIN_WHERE;         // version 60: "code mapped from <file>"
inline const fs::path kWrongAbi = BUNDLE_TEST_PLUGIN_WRONG_ABI;  // version 50, claims ABI 99
}  // namespace plugin

// A fresh folder (mode 0700) under the system temporary folder, removed with
// everything in it when the test ends.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

struct Result {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string out;
  std::string err;
  // "exit 4: <stderr>", for assertion messages.
  std::string Describe() const;
};

struct RunOptions {
  fs::path cwd;                                          // empty: the test's
  std::vector<std::pair<std::string, std::string>> env;  // set in the child
};

// Runs `argv` (argv[0] a path) to completion (killed after 60 s), stdout and
// stderr captured through files in `capture_dir`.
Result RunProgram(const std::vector<std::string>& argv, const fs::path& capture_dir, const RunOptions& options = {});

std::string ReadFile(const fs::path& file);
void WriteFile(const fs::path& file, const std::string& bytes);
// Copies `from` to `to` (mode 0755 unless given), creating folders.
fs::path CopyTo(const fs::path& from, const fs::path& to, fs::perms mode = fs::perms(0755));
// Every entry under `folder`, relative, sorted ("a", "a/b.so").
std::vector<std::string> Listing(const fs::path& folder);
std::string Sha256Hex(const std::string& bytes);

struct Member {
  std::string name;
  std::string bytes;
};
// A tar's members in order (regular files only, as bundles hold).
std::vector<Member> ReadMembers(const fs::path& tar);
// Writes a ustar archive of `members`, in order (no checks: tests write
// broken bundles on purpose).
void WriteMembers(const fs::path& tar, const std::vector<Member>& members);
// The member named `name`; fails the test when there is none.
Member& FindMember(std::vector<Member>& members, const std::string& name);

// Every bundle test: a fresh folder, a config using the runner's json-file
// store, and the runner at hand.
class BundleTest : public ::testing::Test {
 protected:
  void SetUp() override;

  fs::path Dir() const { return dir_.path(); }
  // A folder under the test's folder, mode 0755.
  fs::path Folder(const std::string& name) const;
  // Writes Dir()/conf.json: `migrations`, the json-file store on
  // Dir()/state.json, plus `extra` keys (e.g. "trust").
  fs::path WriteConfig(const nlohmann::json& migrations, const nlohmann::json& extra = nlohmann::json::object());

  // Runs the runner with these arguments.
  Result Lm(const std::vector<std::string>& args, const RunOptions& options = {});
  // -c Dir()/conf.json <args>.
  Result LmConfig(const std::vector<std::string>& args, const RunOptions& options = {});
  // `bundle create OUT --name N --bundle-version V inputs...`; asserts success.
  fs::path MakeBundle(const fs::path& out, const std::vector<fs::path>& inputs, const std::string& name = "demo",
                      const std::string& version = "1.0.0");
  // The versions `status` lists as applied.
  std::vector<int64_t> Applied();

 private:
  TempDir dir_;
  int runs_ = 0;
};

// The runner refused: exit `code`, and stderr is exactly one line
// "link-migration: error: ..." holding every one of `needles`.
::testing::AssertionResult Refused(const Result& result, int code, const std::vector<std::string>& needles);
// The runner succeeded (exit 0), with stderr shown otherwise.
::testing::AssertionResult Succeeded(const Result& result);

}  // namespace bundle_test

#endif  // LINK_MIGRATION_TESTS_BUNDLES_BUNDLE_SUPPORT_H
