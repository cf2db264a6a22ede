// Every documented exit code, each from a real scenario, with its one-line
// error naming the file, key or version at fault.
#include <sys/file.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "cli_fixture.h"

namespace lm_test {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

class ExitCodeTest : public CliTest {
 protected:
  void SetUp() override {
    AddPlugins({plugin::kLedger1, plugin::kLedger2});
    UseSqlite();
  }
};

// The codes --help lists (from the runner's one table, base/status.h) are
// the codes docs/cli.md's table documents, no more and no fewer.
TEST_F(ExitCodeTest, DocsListTheCodesOfTheRunnersTable) {
  CliResult help = RunRaw({"--help"});
  LM_EXPECT_OK(help);
  const size_t start = help.out.find("Exit codes:\n");
  ASSERT_NE(start, std::string::npos) << help;
  std::set<int> help_codes;
  std::istringstream help_lines(help.out.substr(start + std::string("Exit codes:\n").size()));
  const std::regex help_row("^ +([0-9]+)  \\S.*");
  std::smatch match;
  for (std::string line; std::getline(help_lines, line) && !line.empty();) {
    ASSERT_TRUE(std::regex_match(line, match, help_row)) << "not an exit code line: " << line;
    help_codes.insert(std::stoi(match[1]));
  }

  std::ifstream doc(LM_TEST_CLI_DOC);
  ASSERT_TRUE(doc) << LM_TEST_CLI_DOC;
  std::set<int> doc_codes;
  bool in_section = false;
  const std::regex doc_row("^\\| ([0-9]+) \\| \\S.*\\|$");
  for (std::string line; std::getline(doc, line);) {
    if (line.rfind("## ", 0) == 0) in_section = line == "## Exit codes";
    if (in_section && std::regex_match(line, match, doc_row)) doc_codes.insert(std::stoi(match[1]));
  }
  EXPECT_EQ(doc_codes, help_codes);
  EXPECT_TRUE(help_codes.count(12)) << "kInterrupted";
}

TEST_F(ExitCodeTest, Ok) {
  CliResult result = Run({"up"});
  LM_EXPECT_OK(result);
  result = Run({"up"});
  LM_EXPECT_OK(result);
  EXPECT_EQ(result.out, "Store sqlite is at version 2: nothing to do.\n");
}

TEST_F(ExitCodeTest, MigrationFailed) {
  AddPlugins({plugin::kCError});
  LM_EXPECT_ERROR(Run({"up"}), 1,
                  "version 31 (c_error_31) failed during up: c_error_31 refuses: plain C step returned LM_ERROR");
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1, 2}));
}

TEST_F(ExitCodeTest, RerunAfterFixing) {
  AddPlugins({plugin::kParamFail});
  UseSqlite({{"fail_32", true}});
  LM_EXPECT_ERROR(Run({"up"}), 1, "version 32 (param_fail_32) failed during up: param_fail_32: params.fail_32 is true");
  UseSqlite({{"fail_32", false}});
  LM_EXPECT_OK(Run({"up"}));
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1, 2, 32}));
}

TEST_F(ExitCodeTest, UsageUnknownOption) {
  LM_EXPECT_ERROR(Run({"--bogus"}), 2, "unrecognised option '--bogus'");
}

TEST_F(ExitCodeTest, UsageUnknownCommand) {
  LM_EXPECT_ERROR(Run({"frobnicate"}), 2, "unknown command 'frobnicate'");
}

TEST_F(ExitCodeTest, UsageMissingConfig) {
  LM_EXPECT_ERROR(RunRaw({"up"}), 2, "no config file: give one with -c FILE");
}

TEST_F(ExitCodeTest, UsageNothingToDo) {
  LM_EXPECT_ERROR(Run({}), 2, "nothing to do");
}

TEST_F(ExitCodeTest, UsageBadNumbers) {
  LM_EXPECT_ERROR(Run({"to", "abc"}), 2, "'abc' is not a version number");
  LM_EXPECT_ERROR(Run({"mark-applied"}), 2, "'mark-applied' takes one version number");
  LM_EXPECT_ERROR(Run({"--to", "x"}), 2, "--to");
  LM_EXPECT_ERROR(Run({"up", "--steps", "0"}), 2, "--steps needs a count > 0");
}

TEST_F(ExitCodeTest, UsageConflictingActions) {
  LM_EXPECT_ERROR(Run({"--up", "--down"}), 2, "choose one of up, down and to N");
  LM_EXPECT_ERROR(Run({"to", "1", "--steps", "1"}), 2, "--steps goes with up or down, not with to");
  EXPECT_THAT(Ledger(), IsEmpty());
}

TEST_F(ExitCodeTest, ConfigMissing) {
  LM_EXPECT_ERROR(RunRaw({"-c", (dir_ / "nope.json").string(), "up"}), 3,
                  (dir_ / "nope.json").string() + ": config file not found");
}

TEST_F(ExitCodeTest, ConfigBadJson) {
  WriteFile(ConfigFile(), "{\"migrations\": \"migrations\",,}");
  LM_EXPECT_ERROR(Run({"up"}), 3, ConfigFile().string() + ": not valid JSON");
  EXPECT_THAT(Run({"up"}).err, HasSubstr("line 1, column 29"));
}

TEST_F(ExitCodeTest, ConfigUnknownKey) {
  WriteFile(ConfigFile(), R"({"migrations": "migrations", "stor": {"plugin": "sqlite"}})");
  LM_EXPECT_ERROR(Run({"status"}), 3, "$.stor: unknown key (did you mean 'store'?)");
}

TEST_F(ExitCodeTest, ConfigUnknownStore) {
  WriteConfig({{"migrations", "migrations"}, {"store", {{"plugin", "nosuch"}}}});
  LM_EXPECT_ERROR(Run({"up"}), 3, "no store named 'nosuch' (looked for nosuch.so in ");
}

// With many files in the migrations folder the read-only look, and the
// store plugin's loading, run beside the reading of the folder: a store that
// does not load is reported the same way, by status as by up.
TEST_F(ExitCodeTest, ConfigUnknownStoreWithALargeFolder) {
  WriteConfig({{"migrations", "migrations"}, {"store", {{"plugin", "nosuch"}}}});
  for (int i = 0; i < 600; ++i) WriteFile(MigrationsDir() / ("notes_about_this_folder_" + std::to_string(i) + ".txt"), "");
  for (const char* command : {"up", "status"})
    LM_EXPECT_ERROR(Run({command}), 3, "no store named 'nosuch' (looked for nosuch.so in ");
}

TEST_F(ExitCodeTest, PluginLoadWrongAbi) {
  const fs::path file = CopyPlugin(plugin::kWrongAbi, MigrationsDir());
  LM_EXPECT_ERROR(Run({"up"}), 4, file.string() + ": built for plugin ABI 99, this runner supports ABI 1");
  EXPECT_FALSE(fs::exists(Database()));
}

TEST_F(ExitCodeTest, PluginLoadDuplicate) {
  AddPlugins({plugin::kDuplicate});
  LM_EXPECT_ERROR(Run({"status"}), 4, "duplicate migration version 2");
}

TEST_F(ExitCodeTest, PluginLoadTruncated) {
  const fs::path file = CopyPlugin(plugin::kLedger3, MigrationsDir());
  fs::resize_file(file, fs::file_size(file) / 3);
  LM_EXPECT_ERROR(Run({"up"}), 4, file.string() + ": truncated");
}

TEST_F(ExitCodeTest, StoreCorrupt) {
  UseJsonFile();
  WriteFile(dir_ / "versions.json", "[1, 2,");
  LM_EXPECT_ERROR(Run({"up"}), 5, (dir_ / "versions.json").string());
  LM_EXPECT_ERROR(Run({"status"}), 5, (dir_ / "versions.json").string());
  EXPECT_EQ(ReadFile(dir_ / "versions.json"), "[1, 2,");
}

// A record whose state the runner does not know (written by hand, or by a
// newer runner) is a corrupt store, not a guess: every command refuses, names
// the database, the table, the version and the state, and changes nothing.
TEST_F(ExitCodeTest, SqliteRecordInAnUnknownStateIsStoreCorrupt) {
  LM_EXPECT_OK(Run({"up", "--steps", "1"}));
  ExecSql(Database(), "UPDATE link_migration_records SET state = 'half-done' WHERE version = 1");
  const std::string expected = Database().string() + ": table \"link_migration_records\" has version 1 in unknown state "
                               "\"half-done\"";
  for (const char* command : {"status", "up"}) {
    CliResult result = Run({command});
    LM_EXPECT_ERROR(result, 5, expected);
  }
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1})) << "version 2 ran on a corrupt store";
  // Put right by hand, the store is as it was: 1 applied, 2 pending.
  ExecSql(Database(), "UPDATE link_migration_records SET state = 'applied' WHERE version = 1 AND state = 'half-done'");
  CliResult status = Run({"status"});
  LM_EXPECT_OK(status);
  EXPECT_THAT(status.out, ::testing::ContainsRegex("\n +1 +applied +ledger_1 "));
  EXPECT_THAT(status.out, ::testing::ContainsRegex("\n +2 +pending +ledger_2\n"));
}

TEST_F(ExitCodeTest, LockTimeout) {
  LM_EXPECT_OK(Run({"up", "--steps", "1"}));
  // Hold the sqlite store's run lock as another runner would.
  const int fd = open((Database().string() + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(flock(fd, LOCK_EX | LOCK_NB), 0);
  LM_EXPECT_ERROR(Run({"up", "--lock-timeout", "0"}), 6, "lock on " + Database().string() + ".lock is held");
  close(fd);
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1}));
}

TEST_F(ExitCodeTest, PlanRefusedIrreversible) {
  AddPlugins({plugin::kIrreversible});
  LM_EXPECT_OK(Run({"up"}));
  LM_EXPECT_ERROR(Run({"down"}), 7, "version 5 (irreversible_5) is irreversible");
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1, 2, 5}));
}

TEST_F(ExitCodeTest, PlanRefusedUnknownTarget) {
  LM_EXPECT_ERROR(Run({"to", "9"}), 7, "unknown target version 9");
}

TEST_F(ExitCodeTest, NeedsRepair) {
  AddPlugins({plugin::kNoTransaction});
  UseJsonFile({{"fail_33", true}});
  LM_EXPECT_ERROR(Run({"up"}), 1, "no_transaction_33: params.fail_33 is true");
  UseJsonFile();
  LM_EXPECT_ERROR(Run({"up"}), 9,
                  "version 33 (no_transaction_33) failed part-way without a transaction");
  EXPECT_THAT(Run({"up"}).err, HasSubstr("run 'mark-applied 33' or 'mark-pending 33'"));
  EXPECT_THAT(Run({"status"}).out, ::testing::ContainsRegex("\n +33  failed-partial +no_transaction_33 "));
  LM_EXPECT_OK(Run({"mark-applied", "33"}));
  CliResult result = Run({"up"});
  LM_EXPECT_OK(result);
  EXPECT_THAT(result.out, HasSubstr("nothing to do"));
}

TEST_F(ExitCodeTest, NeedsRepairMarkPendingReruns) {
  AddPlugins({plugin::kNoTransaction});
  UseJsonFile({{"fail_33", true}});
  EXPECT_EQ(Run({"up"}).exit_code, 1);
  UseJsonFile();
  EXPECT_EQ(Run({"up"}).exit_code, 9);
  ExecSql(dir_ / "ledger.db", "DELETE FROM ledger WHERE version = 33");
  LM_EXPECT_OK(Run({"mark-pending", "33"}));
  CliResult result = Run({"up"});
  LM_EXPECT_OK(result);
  EXPECT_THAT(result.out, HasSubstr("[1/1] applying 33 no_transaction_33 ..."));
  EXPECT_EQ(ReadLedger(dir_ / "ledger.db"), (std::set<int64_t>{1, 2, 33}));
}

}  // namespace
}  // namespace lm_test
