// The seed tool's flags and the commands that do the same things.
#include <sqlite3.h>
#include <sys/stat.h>

#include <string>

#include "cli_fixture.h"

namespace lm_test {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

class FlagsTest : public CliTest {
 protected:
  void SetUp() override {
    AddPlugins({plugin::kLedger1, plugin::kLedger2, plugin::kLedger3, plugin::kLedger4});
    UseSqlite();
  }
};

TEST_F(FlagsTest, Help) {
  CliResult result = RunRaw({"--help"});
  LM_EXPECT_OK(result);
  EXPECT_THAT(result.out, HasSubstr("Usage: link-migration -c CONFIG [COMMAND] [OPTIONS]"));
  for (const char* text : {"-c [ --config-file ] FILE", "-u [ --up ]", "-d [ --down ]", "-t [ --to ] N",
                           "--steps", "--dry-run", "--no-exec", "-v [ --version ]", "--package-version",
                           "mark-applied N", "mark-pending N", "status", "current", "Exit codes:"})
    EXPECT_THAT(result.out, HasSubstr(text));
  EXPECT_EQ(RunRaw({"-h"}).out, result.out);
}

TEST_F(FlagsTest, PackageVersion) {
  CliResult result = RunRaw({"--package-version"});
  LM_EXPECT_OK(result);
  EXPECT_EQ(result.out, std::string("link-migration ") + LM_TEST_PACKAGE_VERSION + "\n");
}

TEST_F(FlagsTest, VersionPrintsCurrentVersion) {
  CliResult result = Run({"-v"});
  LM_EXPECT_OK(result);
  EXPECT_EQ(result.out, "0\n");
  LM_EXPECT_OK(Run({"--to", "3"}));
  EXPECT_EQ(Run({"-v"}).out, "3\n");
  EXPECT_EQ(Run({"--version"}).out, "3\n");
  EXPECT_EQ(Run({"current"}).out, "3\n");
}

TEST_F(FlagsTest, ShortUpAndDown) {
  LM_EXPECT_OK(Run({"-u"}));
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1, 2, 3, 4}));
  LM_EXPECT_OK(Run({"-d"}));
  EXPECT_THAT(Ledger(), IsEmpty());
}

TEST_F(FlagsTest, LongFlags) {
  LM_EXPECT_OK(RunRaw({"--config-file", ConfigFile().string(), "--up"}));
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1, 2, 3, 4}));
  LM_EXPECT_OK(RunRaw({"--config-file=" + ConfigFile().string(), "--down"}));
  EXPECT_THAT(Ledger(), IsEmpty());
}

TEST_F(FlagsTest, ConfigPathRelativeToWorkingDirectory) {
  LM_EXPECT_OK(RunRaw({"-c", "conf.json", "up"}));
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1, 2, 3, 4}));
}

TEST_F(FlagsTest, ToFlagForms) {
  LM_EXPECT_OK(Run({"-t", "3"}));
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1, 2, 3}));
  LM_EXPECT_OK(Run({"--to=1"}));
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1}));
  LM_EXPECT_OK(Run({"--to", "0"}));
  EXPECT_THAT(Ledger(), IsEmpty());
}

TEST_F(FlagsTest, Steps) {
  LM_EXPECT_OK(Run({"-u", "--steps", "2"}));
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1, 2}));
  LM_EXPECT_OK(Run({"up", "-n", "1"}));
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1, 2, 3}));
  LM_EXPECT_OK(Run({"-d", "--steps=2"}));
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1}));
}

TEST_F(FlagsTest, Commands) {
  LM_EXPECT_OK(Run({"up"}));
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1, 2, 3, 4}));
  LM_EXPECT_OK(Run({"to", "2"}));
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1, 2}));
  LM_EXPECT_OK(Run({"down"}));
  EXPECT_THAT(Ledger(), IsEmpty());
}

TEST_F(FlagsTest, ToCurrentVersionIsNothingToDo) {
  LM_EXPECT_OK(Run({"to", "2"}));
  CliResult result = Run({"to", "2"});
  LM_EXPECT_OK(result);
  EXPECT_EQ(result.out, "Store sqlite is at version 2: nothing to do.\n");
}

// The read-only look at the records runs on a thread of its own only when the
// migration folder is large (its directory's size says so): both ways must
// find the same records. Files without the plugin suffix make it large here.
TEST_F(FlagsTest, NothingToDoAndStatusAgreeWithASmallAndALargeFolder) {
  LM_EXPECT_OK(Run({"up"}));
  const CliResult small_status = Run({"status"});
  LM_EXPECT_OK(small_status);
  EXPECT_EQ(Run({"up"}).out, "Store sqlite is at version 4: nothing to do.\n");

  for (int i = 0; i < 600; ++i) WriteFile(MigrationsDir() / ("notes_about_this_folder_" + std::to_string(i) + ".txt"), "");
  struct stat folder {};
  ASSERT_EQ(stat(MigrationsDir().c_str(), &folder), 0);
  ASSERT_GE(folder.st_size, 8 * 1024) << "the folder is not large enough to take the thread";
  const CliResult large_status = Run({"status"});
  LM_EXPECT_OK(large_status);
  EXPECT_EQ(large_status.out, small_status.out);
  EXPECT_EQ(Run({"up"}).out, "Store sqlite is at version 4: nothing to do.\n");

  LM_EXPECT_OK(Run({"to", "3"}));
  CliResult up = Run({"up"});
  LM_EXPECT_OK(up);
  EXPECT_THAT(up.out, HasSubstr("Migrating sqlite from version 3 to 4 in 1 step."));
}

TEST_F(FlagsTest, DryRunChangesNothing) {
  for (const char* flag : {"--dry-run", "--no-exec"}) {
    CliResult result = Run({"up", flag});
    LM_EXPECT_OK(result);
    EXPECT_THAT(result.out, HasSubstr("Dry run: sqlite from version 0 to 4 in 4 steps (nothing will be changed):\n"));
    EXPECT_THAT(result.out, HasSubstr("  up          1  ledger_1  Adds row 1 to the ledger.\n"));
    EXPECT_THAT(result.out, HasSubstr("  up          4  ledger_4  Adds row 4 to the ledger.\n"));
    EXPECT_THAT(result.out, ::testing::Not(HasSubstr("done in")));
    EXPECT_FALSE(fs::exists(Database()));
  }
}

TEST_F(FlagsTest, DryRunDownShowsReverts) {
  LM_EXPECT_OK(Run({"up"}));
  CliResult result = Run({"-t", "2", "--dry-run"});
  LM_EXPECT_OK(result);
  EXPECT_THAT(result.out, HasSubstr("Dry run: sqlite from version 4 to 2 in 2 steps"));
  EXPECT_THAT(result.out, HasSubstr("  down        4  ledger_4"));
  EXPECT_THAT(result.out, HasSubstr("  down        3  ledger_3"));
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1, 2, 3, 4}));
}

TEST_F(FlagsTest, Status) {
  AddPlugins({plugin::kThrows});
  EXPECT_EQ(Run({"up"}).exit_code, 1);
  CliResult result = Run({"status"});
  LM_EXPECT_OK(result);
  EXPECT_THAT(result.out, ::testing::StartsWith("Store: sqlite    Current version: 4\n"));
  EXPECT_THAT(result.out, ::testing::ContainsRegex("\n +1  applied +ledger_1 +20[0-9-]+T"));
  EXPECT_THAT(result.out, ::testing::ContainsRegex("\n +30  failed-rolled-back +throws_30 "));
  LM_EXPECT_OK(Run({"to", "2"}));
  EXPECT_THAT(Run({"status"}).out, ::testing::ContainsRegex("\n +3  pending +ledger_3 *\n"));
}

TEST_F(FlagsTest, StatusOnFreshStoreCreatesNothing) {
  CliResult result = Run({"status"});
  LM_EXPECT_OK(result);
  EXPECT_THAT(result.out, HasSubstr("Current version: 0"));
  EXPECT_FALSE(fs::exists(Database()));
}

// status and a dry run read an existing database without leaving a -wal or
// -shm beside it (docs/stores.md), and still show what is committed while
// another connection holds a write transaction.
TEST_F(FlagsTest, StatusAndDryRunLeaveNothingBesideTheDatabase) {
  LM_EXPECT_OK(Run({"to", "2"}));
  const fs::path wal = Database().string() + "-wal";
  const fs::path shm = Database().string() + "-shm";
  ASSERT_FALSE(fs::exists(wal));
  ASSERT_FALSE(fs::exists(shm));
  LM_EXPECT_OK(Run({"status"}));
  LM_EXPECT_OK(Run({"up", "--dry-run"}));
  EXPECT_FALSE(fs::exists(wal));
  EXPECT_FALSE(fs::exists(shm));

  sqlite3* writer = nullptr;
  ASSERT_EQ(sqlite3_open(Database().c_str(), &writer), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(writer, "BEGIN IMMEDIATE; DELETE FROM link_migration_records", nullptr, nullptr, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(writer);
  const CliResult status = Run({"status"});
  const CliResult dry_run = Run({"up", "--dry-run"});
  sqlite3_exec(writer, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(writer);
  LM_EXPECT_OK(status);
  EXPECT_THAT(status.out, HasSubstr("Current version: 2"));
  EXPECT_THAT(status.out, ::testing::ContainsRegex("\n +2  applied +ledger_2 "));
  LM_EXPECT_OK(dry_run);
  EXPECT_THAT(dry_run.out, HasSubstr("Dry run: sqlite from version 2 to 4 in 2 steps"));
}

TEST_F(FlagsTest, MarkAppliedAndPending) {
  CliResult result = Run({"mark-applied", "2"});
  LM_EXPECT_OK(result);
  EXPECT_EQ(result.out, "Version 2 marked applied.\n");
  EXPECT_THAT(Ledger(), IsEmpty());  // nothing ran
  EXPECT_THAT(Run({"status"}).out, ::testing::ContainsRegex("\n +2  applied +ledger_2 "));
  result = Run({"mark-pending", "2"});
  LM_EXPECT_OK(result);
  EXPECT_EQ(result.out, "Version 2 marked pending.\n");
  EXPECT_THAT(Run({"status"}).out, ::testing::ContainsRegex("\n +2  pending +ledger_2"));
}

}  // namespace
}  // namespace lm_test
