// The CLI tests' fixture: runs the real link-migration binary in a fresh
// folder holding conf.json and the plugins the test copies in
// (PluginFolderTest), and captures its exit code, stdout and stderr
// separately.
#ifndef LM_TESTS_CLI_CLI_FIXTURE_H
#define LM_TESTS_CLI_CLI_FIXTURE_H

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "plugin_folder_test.h"
#include "support/subprocess.h"
#include "test_plugins.h"

namespace lm_test {

using nlohmann::json;

inline const fs::path kCli = LM_TEST_CLI;

// What a command did: its exit code (or signal), stdout and stderr.
using CliResult = lm::test::ProcessResult;

class CliTest : public PluginFolderTest {
 protected:
  // Runs `program args...` in `cwd` to its end, stdin from /dev/null; its
  // output is captured in a folder apart. Killed after ten minutes (a
  // compiler on a loaded machine is slow), so a hung command fails the test
  // with what it printed instead of running into ctest's timeout.
  CliResult RunProgram(const fs::path& program, const std::vector<std::string>& args, const fs::path& cwd) {
    std::vector<std::string> argv = {program.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    lm::test::StartOptions options;
    options.cwd = cwd;
    return lm::test::Run(argv, captures_.path(), lm::test::milliseconds(600000), options);
  }
  // link-migration with exactly these arguments, run in the test's folder.
  CliResult RunRaw(const std::vector<std::string>& args) { return RunProgram(kCli, args, dir_.path()); }
  // link-migration -c <conf.json> args...
  CliResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), {"-c", ConfigFile().string()});
    return RunRaw(args);
  }

  TempDir captures_;
};

// A failed command: the exit code, nothing but one error line on stderr
// ("link-migration: error: ...") containing `text`.
#define LM_EXPECT_ERROR(result, code, text)                                                     \
  do {                                                                                          \
    const ::lm_test::CliResult& lm_result_ = (result);                                          \
    EXPECT_EQ(lm_result_.exit_code, (code)) << lm_result_;                                      \
    EXPECT_THAT(lm_result_.err, ::testing::StartsWith("link-migration: error: ")) << lm_result_; \
    EXPECT_EQ(std::count(lm_result_.err.begin(), lm_result_.err.end(), '\n'), 1) << lm_result_; \
    EXPECT_THAT(lm_result_.err, ::testing::HasSubstr(text)) << lm_result_;                      \
  } while (0)

// A successful command: exit 0, nothing on stderr.
#define LM_EXPECT_OK(result)                        \
  do {                                              \
    const ::lm_test::CliResult& lm_result_ = (result); \
    EXPECT_EQ(lm_result_.exit_code, 0) << lm_result_;  \
    EXPECT_EQ(lm_result_.err, "") << lm_result_;       \
  } while (0)

}  // namespace lm_test

#endif  // LM_TESTS_CLI_CLI_FIXTURE_H
