// `completion bash` and `man`: made from the same tables as --help, so
// every command and option --help lists is in both; the script completes
// in a real bash, the page renders without a groff warning, and the build
// generates both files from the built binary.
#include <regex>

#include "cli_fixture.h"

namespace lm_test {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

class CompletionTest : public CliTest {
 protected:
  // Every --long option and every command word (and subcommand) --help lists.
  void HelpWords(std::set<std::string>* options, std::set<std::string>* commands) {
    CliResult help = RunRaw({"--help"});
    ASSERT_EQ(help.exit_code, 0) << help;
    const size_t options_at = help.out.find("\nOptions:\n");
    ASSERT_NE(options_at, std::string::npos) << help;
    const std::string command_part = help.out.substr(0, options_at);
    const std::string option_part = help.out.substr(options_at);
    static const std::regex kOption("--([a-z][a-z-]*[a-z])");
    for (std::sregex_iterator it(option_part.begin(), option_part.end(), kOption), end; it != end; ++it)
      options->insert((*it)[1].str());
    static const std::regex kCommand("\n  ([a-z][a-z-]*)( (create|inspect|verify|sign|bash))?");
    for (std::sregex_iterator it(command_part.begin(), command_part.end(), kCommand), end; it != end; ++it) {
      commands->insert((*it)[1].str());
      if ((*it)[3].matched) commands->insert((*it)[3].str());
    }
  }

  // The words bash offers for the line `words`, completing its last word.
  std::string Complete(const std::vector<std::string>& words) {
    WriteFile(dir_ / "completion.bash", RunRaw({"completion", "bash"}).out);
    std::string array;
    for (const std::string& word : words) array += " '" + word + "'";
    const std::string script = "source ./completion.bash; COMP_WORDS=(link-migration" + array +
                               "); COMP_CWORD=" + std::to_string(words.size()) +
                               "; _link_migration; echo \"${COMPREPLY[@]}\"";
    CliResult result = RunProgram("/bin/bash", {"--norc", "-c", script}, dir_.path());
    EXPECT_EQ(result.exit_code, 0) << result;
    EXPECT_EQ(result.err, "") << result;
    return result.out.substr(0, result.out.size() - 1);
  }
};

TEST_F(CompletionTest, EveryHelpOptionAndCommandIsInBoth) {
  std::set<std::string> options, commands;
  ASSERT_NO_FATAL_FAILURE(HelpWords(&options, &commands));
  EXPECT_GE(options.size(), 26u);
  EXPECT_GE(commands.size(), 21u);
  for (const char* word : {"config-file", "quiet", "verbose", "no-color", "dir", "timestamp", "output"})
    EXPECT_TRUE(options.count(word)) << word;
  for (const char* word : {"new", "completion", "man", "bundle", "inspect", "keygen", "history"})
    EXPECT_TRUE(commands.count(word)) << word;

  CliResult script = RunRaw({"completion", "bash"});
  LM_EXPECT_OK(script);
  CliResult page = RunRaw({"man"});
  LM_EXPECT_OK(page);
  auto roff = [](std::string text) { return std::regex_replace(text, std::regex("-"), "\\-"); };
  for (const std::string& option : options) {
    EXPECT_THAT(script.out, ::testing::ContainsRegex("[ |\"]--" + option + "[ |\"]")) << option;
    EXPECT_THAT(page.out, HasSubstr("\\fB\\-\\-" + roff(option) + "\\fR")) << option;
  }
  // The page's COMMANDS section: each item's heading line (after .TP), as text.
  const std::string section = page.out.substr(0, page.out.find(".SH OPTIONS"));
  std::string headings;
  static const std::regex kItem("\\.TP\n([^\n]*)\n");
  for (std::sregex_iterator it(section.begin(), section.end(), kItem), end; it != end; ++it)
    headings += std::regex_replace((*it)[1].str(), std::regex("\\\\f[BIR]|\\\\(?=-)"), "") + "\n";
  for (const std::string& command : commands) {
    EXPECT_THAT(script.out, ::testing::ContainsRegex("compgen -W \"[^\"]*\\b" + command + "\\b")) << command;
    EXPECT_THAT(headings, ::testing::ContainsRegex("(^|\n|[a-z] )" + command + "( |\n)")) << command << "\n" << headings;
  }
}

TEST_F(CompletionTest, CompletesCommandsOptionsAndValues) {
  EXPECT_EQ(Complete({"sta"}), "status");
  EXPECT_EQ(Complete({"-c", "conf.json", "hi"}), "history");
  EXPECT_EQ(Complete({"--ou"}), "--output");
  EXPECT_EQ(Complete({"--no-"}), "--no-exec --no-validate --no-color");
  EXPECT_EQ(Complete({"-o", ""}), "text json");
  EXPECT_EQ(Complete({"bundle", ""}), "create inspect verify sign");
  EXPECT_EQ(Complete({"bundle", "in"}), "inspect");
  EXPECT_EQ(Complete({"completion", ""}), "bash");
  EXPECT_EQ(Complete({"--to", ""}), "");  // a number: nothing to offer
  WriteFile(dir_ / "conf.json", "{}");
  fs::create_directories(dir_ / "db");
  EXPECT_EQ(Complete({"-c", "conf"}), "conf.json");  // files
  EXPECT_EQ(Complete({"new", "x", "--dir", ""}), "db");  // folders only
}

TEST_F(CompletionTest, ManPageRendersWithoutWarnings) {
  WriteFile(dir_ / "link-migration.1", RunRaw({"man"}).out);
  CliResult rendered = RunProgram("/usr/bin/groff", {"-man", "-Tutf8", "-ww", "link-migration.1"}, dir_.path());
  EXPECT_EQ(rendered.exit_code, 0) << rendered;
  EXPECT_EQ(rendered.err, "") << rendered;
  CliResult text = RunProgram("/usr/bin/groff", {"-man", "-Tascii", "-ww", "link-migration.1"}, dir_.path());
  EXPECT_EQ(text.err, "") << text;
  const std::string plain = std::regex_replace(text.out, std::regex(".\b"), "");  // drop overstrikes
  for (const char* expected : {"LINK-MIGRATION(1)", "NAME", "SYNOPSIS", "COMMANDS", "OPTIONS", "EXIT STATUS",
                               "-c, --config-file FILE", "--no-color", "new NAME", "NO_COLOR"})
    EXPECT_THAT(plain, HasSubstr(expected));
}

TEST_F(CompletionTest, BuildGeneratesTheInstalledFiles) {
  EXPECT_EQ(ReadFile(LM_TEST_COMPLETION_FILE), RunRaw({"completion", "bash"}).out);
  EXPECT_EQ(ReadFile(LM_TEST_MAN_FILE), RunRaw({"man"}).out);
}

TEST_F(CompletionTest, Refusals) {
  LM_EXPECT_ERROR(RunRaw({"completion", "zsh"}), 2, "completion takes one shell: bash");
  LM_EXPECT_ERROR(RunRaw({"completion"}), 2, "completion takes one shell: bash");
  LM_EXPECT_ERROR(RunRaw({"man", "extra"}), 2, "'man' takes no arguments");
}

}  // namespace
}  // namespace lm_test
