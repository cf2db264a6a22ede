// What a migrate prints: a progress line per step, its note and the step's
// own lines indented beneath in order, then its duration and a final line;
// errors as one line on stderr.
#include <sstream>
#include <string>

#include "cli_fixture.h"

namespace lm_test {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;

class OutputTest : public CliTest {};

TEST_F(OutputTest, StepLinesOutputAndDuration) {
  AddPlugins({plugin::kLedger1, plugin::kOutput});
  UseSqlite();
  CliResult result = Run({"up"});
  LM_EXPECT_OK(result);
  EXPECT_THAT(result.out, ::testing::MatchesRegex(
                              "Migrating sqlite from version 0 to 34 in 2 steps\\.\n"
                              "\\[1/2\\] applying 1 ledger_1 \\.\\.\\.\n"
                              "    done in [0-9]+ ms\n"
                              "\\[2/2\\] applying 34 output_34 \\.\\.\\.\n"
                              "    \\| printf line 1\n"
                              "    info line 2\n"
                              "    \\| cout line 3\n"
                              "    warning: warn line 4\n"
                              "    \\| stderr line 5\n"
                              "    \\| printf line 7\n"
                              "    \\| cout line 8\n"
                              "    error: error line 9\n"
                              "    \\| printf line 10 without newline\n"
                              "    done in [0-9]+ ms\n"
                              "Done: sqlite is at version 34 after 2 steps in [0-9]+ ms\\.\n"));
}

// A step's note comes with its start.
TEST_F(OutputTest, UpNoteShown) {
  AddPlugins({plugin::kLedger1, plugin::kIrreversible});
  UseSqlite();
  CliResult result = Run({"up"});
  LM_EXPECT_OK(result);
  EXPECT_THAT(result.out, HasSubstr("[2/2] applying 5 irreversible_5 ...\n"
                                    "    note: irreversible: there is no way back below version 5\n"));
}

TEST_F(OutputTest, ChangelogPathShown) {
  AddPlugins({plugin::kChangelog});
  UseSqlite();
  CliResult result = Run({"up"});
  LM_EXPECT_OK(result);
  EXPECT_THAT(result.out, ContainsRegex("\n    changelog: " + (dir_ / "changelogs").string() +
                                        "/35_changelog_35_up_[0-9]{8}T[0-9]{6}Z_run-[0-9a-f]{16}_attempt-1\\.csv\n    done in"));
}

TEST_F(OutputTest, FailedStepShowsReasonAndStops) {
  AddPlugins({plugin::kLedger1, plugin::kThrows, plugin::kBundle});
  UseSqlite();
  CliResult result = Run({"up"});
  EXPECT_EQ(result.exit_code, 1) << result;
  EXPECT_THAT(result.out, ContainsRegex("\\[2/5\\] applying 20 bundle_20 \\.\\.\\.\n    done in [0-9]+ ms\n"));
  EXPECT_THAT(result.out, ContainsRegex("\\[5/5\\] applying 30 throws_30 \\.\\.\\.\n"
                                        "    FAILED after [0-9]+ ms: throws_30 always fails after writing its row\n"
                                        "Stopped: 4 of 5 steps done\\.\n$"));
  EXPECT_EQ(result.err,
            "link-migration: error: version 30 (throws_30) failed during up: "
            "throws_30 always fails after writing its row\n");
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1, 20, 21, 22}));
}

// The runner reads its worker's stream in batches (supervisor.cc): a step
// that prints far more than the pipe holds between two reads must neither
// stall nor lose or reorder a line.
TEST_F(OutputTest, AStepThatPrintsMegabytesShowsEveryLineInOrder) {
  AddPlugins({plugin::kLedger1, plugin::kChatty});
  UseSqlite();
  CliResult result = Run({"up"});
  LM_EXPECT_OK(result);
  std::istringstream lines(result.out);
  std::string line;
  int next = 1;
  int logged = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("    | chatty line ", 0) == 0) {
      ASSERT_EQ(line, "    | chatty line " + std::to_string(next)) << "a line is missing or out of order";
      ++next;
    } else if (line.rfind("    logged after line ", 0) == 0) {
      ++logged;
      EXPECT_EQ(line, "    logged after line " + std::to_string(next - 1));
    }
  }
  EXPECT_EQ(next, 200001);
  EXPECT_EQ(logged, 4);
  EXPECT_THAT(result.out, HasSubstr("Done: sqlite is at version 37 after 2 steps in "));
}

// A plugin should give a one-line error, but one that does not must not
// break the CLI's promise of one error line on stderr.
TEST_F(OutputTest, MultiLineStepErrorStaysOneLine) {
  AddPlugins({plugin::kParamFail});
  UseSqlite({{"fail_32", "multi-line"}});
  CliResult result = Run({"up"});
  LM_EXPECT_ERROR(result, 1, "version 32 (param_fail_32) failed during up: param_fail_32: first line");
  EXPECT_THAT(result.err, HasSubstr("second line"));
}

TEST_F(OutputTest, WarningGoesToStderr) {
  AddPlugins({plugin::kLedger1});
  CopyPlugin(kVersionFileStore, dir_ / "stores");
  WriteConfig({{"migrations", "migrations"},
               {"plugin_path", "stores"},
               {"store", {{"plugin", "version-file"}, {"options", {{"path", "version.txt"}}}}},
               {"params", {{"ledger_db", (dir_ / "ledger.db").string()}}}});
  CliResult result = Run({"up"});
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.err,
            "link-migration: warning: store 'version-file' keeps only the current version: "
            "no history, checksums or locking\n");
  EXPECT_THAT(result.out, HasSubstr("Migrating version-file from version 0 to 1 in 1 step."));
  EXPECT_EQ(ReadFile(dir_ / "version.txt"), "1\n");
  EXPECT_EQ(Run({"current"}).out, "1\n");
}

}  // namespace
}  // namespace lm_test
