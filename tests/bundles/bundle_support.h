// What the bundle and trust tests share: where the runner, the stores and
// the test plugins were built; a fixture running the real link-migration
// binary in a fresh folder per test (through tests/support); and reading and
// rewriting a bundle's tar members (through libarchive, independently of the
// runner's own tar code) to craft tampered copies.
#ifndef LINK_MIGRATION_TESTS_BUNDLES_BUNDLE_SUPPORT_H
#define LINK_MIGRATION_TESTS_BUNDLES_BUNDLE_SUPPORT_H

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/files.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

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

using lm::test::ProcessResult;
using lm::test::ReadFile;
using lm::test::StartOptions;
using lm::test::TempDir;
using lm::test::WriteFile;

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
  ProcessResult Lm(const std::vector<std::string>& args, const StartOptions& options = {});
  // -c Dir()/conf.json <args>.
  ProcessResult LmConfig(const std::vector<std::string>& args, const StartOptions& options = {});
  // `bundle create OUT --name N --bundle-version V inputs...`; asserts success.
  fs::path MakeBundle(const fs::path& out, const std::vector<fs::path>& inputs, const std::string& name = "demo",
                      const std::string& version = "1.0.0");
  // The versions `status` lists as applied.
  std::vector<int64_t> Applied();

 private:
  TempDir dir_;
};

// The runner refused: exit `code`, and stderr is exactly one line
// "link-migration: error: ..." holding every one of `needles`.
::testing::AssertionResult Refused(const ProcessResult& result, int code, const std::vector<std::string>& needles);
// The runner succeeded (exit 0), with stderr shown otherwise.
::testing::AssertionResult Succeeded(const ProcessResult& result);

}  // namespace bundle_test

#endif  // LINK_MIGRATION_TESTS_BUNDLES_BUNDLE_SUPPORT_H
