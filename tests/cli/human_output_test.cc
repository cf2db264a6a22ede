// Human output: aligned tables, colour only on a terminal (never with
// NO_COLOR, --no-color or -o json), the progress line, quiet and verbose.
// The terminal is a real pseudo-terminal, made by script(1).
#include <regex>

#include "cli_fixture.h"

namespace lm_test {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kEscape = "\x1b[";
// A colour (SGR) code. On a terminal the live progress line also uses
// cursor codes (\r, erase line), which are not colour.
constexpr const char* kColour = "\x1b\\[[0-9;]*m";

class HumanOutputTest : public CliTest {
 protected:
  void SetUp() override {
    AddPlugins({plugin::kLedger1, plugin::kLedger2, plugin::kOutput});
    UseSqlite();
  }

  // link-migration -c conf.json args... on a pseudo-terminal, with `env`
  // (e.g. "NO_COLOR=1") set and NO_COLOR otherwise unset. Output as the
  // terminal got it (with \r\n line ends).
  CliResult RunOnTerminal(const std::vector<std::string>& args, const std::string& env = "") {
    std::string command = "env -u NO_COLOR TERM=xterm " + env + " '" + kCli.string() + "' -c conf.json";
    for (const std::string& arg : args) command += " '" + arg + "'";
    return RunProgram("/usr/bin/script", {"-qec", command, "/dev/null"}, dir_.path());
  }

  // The column at which `heading` starts in the header line, and whether
  // every later line has a word starting there too.
  static void ExpectAligned(const std::string& table, const std::string& heading) {
    std::istringstream lines(table);
    std::string header;
    while (std::getline(lines, header) && header.find(heading) == std::string::npos) {
    }
    const size_t column = header.find(heading);
    ASSERT_NE(column, std::string::npos) << table;
    int rows = 0;
    for (std::string line; std::getline(lines, line); ++rows) {
      ASSERT_GT(line.size(), column) << line;
      EXPECT_EQ(line[column - 1], ' ') << heading << " in: " << line;
      EXPECT_NE(line[column], ' ') << heading << " in: " << line;
    }
    EXPECT_GT(rows, 0) << table;
  }
};

TEST_F(HumanOutputTest, StatusAndHistoryAreAlignedTables) {
  LM_EXPECT_OK(Run({"up"}));
  CliResult status = Run({"status"});
  LM_EXPECT_OK(status);
  EXPECT_THAT(status.out, HasSubstr("\nVERSION  STATE    NAME       APPLIED AT\n"));
  for (const char* heading : {"STATE", "NAME", "APPLIED AT"}) ExpectAligned(status.out, heading);
  EXPECT_THAT(status.out, ContainsRegex("\n      1  applied  ledger_1   20"));
  EXPECT_THAT(status.out, ContainsRegex("\n     34  applied  output_34  20"));

  CliResult history = Run({"history"});
  LM_EXPECT_OK(history);
  EXPECT_THAT(history.out, ContainsRegex("^AT +EVENT +VERSION +NAME +BY +MS +DETAIL\n"));
  for (const char* heading : {"EVENT", "NAME", "BY"}) ExpectAligned(history.out, heading);
  EXPECT_THAT(history.out, ContainsRegex("\n20[^ ]+  apply +34  output_34  "));
}

TEST_F(HumanOutputTest, PipedOutputHasNoEscapeCodes) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"up"}, {"status"}, {"history"}, {"validate"}, {"down", "--dry-run"}}) {
    CliResult result = Run(args);
    EXPECT_EQ(result.exit_code, 0) << result;
    EXPECT_THAT(result.out + result.err, Not(HasSubstr(kEscape))) << args[0];
  }
  CliResult failed = Run({"to", "99"});
  EXPECT_EQ(failed.exit_code, 7) << failed;
  EXPECT_THAT(failed.err, Not(HasSubstr(kEscape)));
}

TEST_F(HumanOutputTest, ColourOnATerminal) {
  CliResult result = RunOnTerminal({"up"});
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_THAT(result.out, HasSubstr("\x1b[32m"));  // green: durations, Done
  // The live line is redrawn in place, then left as the step's one line.
  EXPECT_THAT(result.out, HasSubstr("\r\x1b[K[1/3] applying 1 ledger_1 ... \x1b[32m"));
  result = RunOnTerminal({"status"});
  EXPECT_THAT(result.out, HasSubstr("\x1b[32mapplied\x1b[0m"));
  EXPECT_THAT(result.out, HasSubstr("\x1b[1mVERSION\x1b[0m"));
  // Colour codes do not move the columns.
  const std::string plain = std::regex_replace(result.out, std::regex("\x1b\\[[0-9;]*m|\r"), "");
  EXPECT_THAT(plain, HasSubstr("VERSION  STATE    NAME       APPLIED AT\n"));
  // Errors are coloured on a terminal's stderr too.
  EXPECT_THAT(RunOnTerminal({"to", "99"}).out, HasSubstr("link-migration: \x1b[31merror:\x1b[0m "));
}

TEST_F(HumanOutputTest, NoColourWhenAskedNotTo) {
  LM_EXPECT_OK(Run({"up"}));
  for (const std::string env : {"NO_COLOR=1", "NO_COLOR=yes"}) {
    CliResult result = RunOnTerminal({"status"}, env);
    EXPECT_EQ(result.exit_code, 0) << result;
    EXPECT_THAT(result.out, Not(ContainsRegex(kColour))) << env;
    EXPECT_THAT(RunOnTerminal({"to", "99"}, env).out, Not(ContainsRegex(kColour))) << env;
  }
  // An empty NO_COLOR does not count (no-color.org).
  EXPECT_THAT(RunOnTerminal({"status"}, "NO_COLOR=").out, ContainsRegex(kColour));
  EXPECT_THAT(RunOnTerminal({"status", "--no-color"}).out, Not(ContainsRegex(kColour)));
  EXPECT_THAT(RunOnTerminal({"status", "-o", "json"}).out, Not(ContainsRegex(kColour)));
  EXPECT_THAT(RunOnTerminal({"down", "--no-color"}).out, Not(ContainsRegex(kColour)));
}

// In a pipe a step's line is written whole when it starts (a log read line
// by line shows a hung step), and its duration beneath it when it ends.
TEST_F(HumanOutputTest, ProgressLinesInAPipe) {
  CliResult result = Run({"to", "2"});
  LM_EXPECT_OK(result);
  EXPECT_THAT(result.out, ::testing::MatchesRegex("Migrating sqlite from version 0 to 2 in 2 steps\\.\n"
                                                  "\\[1/2\\] applying 1 ledger_1 \\.\\.\\.\n"
                                                  "    done in [0-9]+ ms\n"
                                                  "\\[2/2\\] applying 2 ledger_2 \\.\\.\\.\n"
                                                  "    done in [0-9]+ ms\n"
                                                  "Done: sqlite is at version 2 after 2 steps in [0-9]+ ms\\.\n"));
  result = Run({"down"});
  LM_EXPECT_OK(result);
  EXPECT_THAT(result.out, HasSubstr("\n[1/2] reverting 2 ledger_2 ...\n    done in "));
  EXPECT_THAT(result.out, HasSubstr("\nDone: sqlite is at version 0 after 2 steps in "));
}

TEST_F(HumanOutputTest, QuietPrintsOnlyTheFinalLineAndErrors) {
  CliResult result = Run({"up", "-q"});
  LM_EXPECT_OK(result);
  EXPECT_THAT(result.out, ::testing::MatchesRegex("Done: sqlite is at version 34 after 3 steps in [0-9]+ ms\\.\n"));
  LM_EXPECT_OK(Run({"down", "--steps", "1"}));
  AddPlugins({plugin::kThrows});
  result = Run({"up", "--quiet"});
  EXPECT_EQ(result.out, "Stopped: 0 of 2 steps done.\n");
  LM_EXPECT_ERROR(result, 1, "version 30 (throws_30) failed during up");
  result = Run({"up", "-q", "--dry-run"});  // a dry run's plan is its result
  EXPECT_THAT(result.out, HasSubstr("Dry run: sqlite from version 2 to 34"));
  LM_EXPECT_ERROR(Run({"up", "-q", "--verbose"}), 2, "choose one of --quiet and --verbose");
}

TEST_F(HumanOutputTest, VerboseAddsPlanDescriptionsAndDebugLines) {
  CliResult normal = Run({"to", "1"});
  LM_EXPECT_OK(normal);
  EXPECT_THAT(normal.out, Not(HasSubstr("Adds row 1 to the ledger.")));
  LM_EXPECT_OK(Run({"down"}));
  CliResult verbose = Run({"up", "--verbose"});
  LM_EXPECT_OK(verbose);
  EXPECT_THAT(verbose.out, HasSubstr("Migrating sqlite from version 0 to 34 in 3 steps.\n"
                                     "  up          1  ledger_1  Adds row 1 to the ledger.\n"));
  EXPECT_THAT(verbose.out, HasSubstr("[1/3] applying 1 ledger_1 ...\n    Adds row 1 to the ledger.\n    done in "));
  EXPECT_THAT(verbose.out, HasSubstr("    debug: debug line 6\n"));
  LM_EXPECT_OK(Run({"down"}));
  normal = Run({"up"});
  EXPECT_THAT(normal.out, HasSubstr("    warning: warn line 4\n"));
  EXPECT_THAT(normal.out, Not(HasSubstr("debug line 6")));
}

}  // namespace
}  // namespace lm_test
