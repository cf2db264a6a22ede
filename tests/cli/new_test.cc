// `new NAME`: the scaffolded source compiles, with the build tree's SDK,
// into a plugin the runner loads and runs; versions follow the plugins and
// the sources already there; collisions and bad names are refused.
#include <regex>

#include "cli_fixture.h"

namespace lm_test {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

class NewTest : public CliTest {
 protected:
  // What `new` printed: the file, the version and the CMake line's parts.
  struct Scaffolded {
    fs::path file;
    int64_t version = 0;
    std::string target;
    fs::path output_dir;
  };

  Scaffolded Parse(const CliResult& result) {
    static const std::regex kPrinted(
        "Wrote (\\S+) \\(version ([0-9]+)\\)\\.\n"
        "Build it with this line in your CMakeLists.txt:\n"
        "link_migration_add_migration\\((\\S+) SOURCES \"(\\S+)\" OUTPUT_DIRECTORY "
        "\"\\$\\{CMAKE_CURRENT_SOURCE_DIR\\}/(\\S+)\"\\)\n");
    std::smatch match;
    Scaffolded scaffolded;
    if (!std::regex_match(result.out, match, kPrinted)) {
      ADD_FAILURE() << "unexpected output of new: " << result;
      return scaffolded;
    }
    EXPECT_EQ(match[1].str(), match[4].str());  // the file and the CMake SOURCES
    scaffolded.file = dir_ / match[1].str();
    scaffolded.version = std::stoll(match[2].str());
    scaffolded.target = match[3].str();
    scaffolded.output_dir = dir_ / match[5].str();
    return scaffolded;
  }

  // Builds the source as link_migration_add_migration() does: a module with
  // the plugin entry, hidden visibility, only the descriptor exported, no
  // undefined symbols; named <target>.so in its OUTPUT_DIRECTORY.
  void Build(const Scaffolded& scaffolded) {
    const fs::path plugin = scaffolded.output_dir / (scaffolded.target + ".so");
    CliResult built = RunProgram(LM_TEST_CXX,
                                 {"-std=c++20", "-Wall", "-Wextra", "-Werror", "-fPIC", "-shared",
                                  "-fvisibility=hidden", "-I" LM_TEST_SDK_INCLUDE, "-o", plugin.string(),
                                  scaffolded.file.string(), LM_TEST_PLUGIN_ENTRY,
                                  "-Wl,--undefined=link_migration_plugin",
                                  "-Wl,--version-script=" LM_TEST_MIGRATION_EXPORTS, "-Wl,--no-undefined"},
                                 dir_.path());
    ASSERT_EQ(built.exit_code, 0) << built;
  }
};

TEST_F(NewTest, ScaffoldBuildsIntoAPluginTheRunnerApplies) {
  AddPlugins({plugin::kLedger1, plugin::kLedger2});
  UseSqlite();
  CliResult result = Run({"new", "add_books_index"});
  LM_EXPECT_OK(result);
  Scaffolded scaffolded = Parse(result);
  EXPECT_EQ(scaffolded.version, 3);
  EXPECT_EQ(scaffolded.file, MigrationsDir() / "003_add_books_index.cpp");
  EXPECT_EQ(scaffolded.target, "003_add_books_index");
  EXPECT_EQ(scaffolded.output_dir, MigrationsDir());
  const std::string source = ReadFile(scaffolded.file);
  EXPECT_THAT(source, HasSubstr(".version = 3,\n"));
  EXPECT_THAT(source, HasSubstr(".name = \"add_books_index\",\n"));
  EXPECT_THAT(source, HasSubstr(".description = "));
  EXPECT_THAT(source, HasSubstr(".down = "));

  ASSERT_NO_FATAL_FAILURE(Build(scaffolded));
  EXPECT_THAT(Run({"status"}).out, ::testing::ContainsRegex("\n +3  pending +add_books_index\n"));
  result = Run({"up"});
  LM_EXPECT_OK(result);
  EXPECT_THAT(result.out, HasSubstr("[3/3] applying 3 add_books_index ...\n"
                                    "    add_books_index: up has nothing to do yet\n"));
  EXPECT_EQ(Run({"current"}).out, "3\n");
  LM_EXPECT_OK(Run({"down", "--steps", "1"}));
  EXPECT_EQ(Run({"current"}).out, "2\n");
}

TEST_F(NewTest, VersionsIncrementOverPluginsAndSources) {
  AddPlugins({plugin::kLedger1, plugin::kBundle});  // 1 and 20..22
  UseSqlite();
  EXPECT_EQ(Parse(Run({"new", "first"})).version, 23);
  // Not built yet: the source alone holds version 23.
  EXPECT_EQ(Parse(Run({"new", "second"})).version, 24);
  EXPECT_TRUE(fs::exists(MigrationsDir() / "024_second.cpp"));
  // A hand-written source with no number in its name is read for `.version = N`.
  WriteFile(MigrationsDir() / "reports.cpp", "LINK_MIGRATION({.version = 40, .name = \"r\"});\n");
  EXPECT_EQ(Parse(Run({"new", "third"})).version, 41);
}

TEST_F(NewTest, DirWithoutConfig) {
  CliResult result = RunRaw({"new", "create_users", "--dir", "db/migrations"});
  LM_EXPECT_OK(result);
  EXPECT_EQ(Parse(result).file, dir_ / "db/migrations/001_create_users.cpp");
  EXPECT_EQ(Parse(RunRaw({"new", "add_email", "--dir", "db/migrations"})).version, 2);
}

TEST_F(NewTest, TimestampVersion) {
  CliResult result = RunRaw({"new", "stamped", "--dir", "m", "--timestamp"});
  LM_EXPECT_OK(result);
  Scaffolded scaffolded = Parse(result);
  EXPECT_THAT(std::to_string(scaffolded.version), MatchesRegex("20[0-9]{2}(0[1-9]|1[0-2])[0-3][0-9][0-2][0-9][0-5][0-9][0-5][0-9]"));
  EXPECT_EQ(scaffolded.file, dir_ / "m" / (std::to_string(scaffolded.version) + "_stamped.cpp"));
  // A second one in the same second still gets a version of its own.
  EXPECT_GT(Parse(RunRaw({"new", "stamped_again", "--dir", "m", "--timestamp"})).version, scaffolded.version);
}

TEST_F(NewTest, RefusesCollisionsAndBadNames) {
  UseSqlite();
  fs::create_directories(MigrationsDir());
  LM_EXPECT_OK(Run({"new", "add_index"}));
  const std::string before = ReadFile(MigrationsDir() / "001_add_index.cpp");
  LM_EXPECT_ERROR(Run({"new", "add_index"}), 2, "a migration named add_index exists already: ");
  EXPECT_EQ(ReadFile(MigrationsDir() / "001_add_index.cpp"), before);
  EXPECT_FALSE(fs::exists(MigrationsDir() / "002_add_index.cpp"));
  LM_EXPECT_ERROR(Run({"new", "add index"}), 2, "'add index' is not a migration name");
  LM_EXPECT_ERROR(Run({"new", "../evil"}), 2, "'../evil' is not a migration name");
  LM_EXPECT_ERROR(Run({"new", "9lives"}), 2, "'9lives' is not a migration name");
  LM_EXPECT_ERROR(Run({"new"}), 2, "'new' takes one NAME");
  LM_EXPECT_ERROR(RunRaw({"new", "x"}), 2, "new needs a config (-c FILE) or a folder (--dir FOLDER)");
}

// The file is opened exclusively: whatever holds the name, here a dangling
// link that a check-then-write would follow, is never written through.
TEST_F(NewTest, NeverOverwrites) {
  fs::create_directories(dir_ / "m");
  fs::create_symlink(dir_ / "elsewhere.txt", dir_ / "m" / "001_target.cpp");
  LM_EXPECT_ERROR(RunRaw({"new", "target", "--dir", "m"}), 2, "001_target.cpp: exists already; not overwriting it");
  EXPECT_FALSE(fs::exists(dir_ / "elsewhere.txt"));
}

TEST_F(NewTest, BrokenConfigIsAConfigError) {
  WriteFile(ConfigFile(), "{");
  LM_EXPECT_ERROR(Run({"new", "x"}), 3, "conf.json");
}

}  // namespace
}  // namespace lm_test
