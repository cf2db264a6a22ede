// The CLI tests' fixture: runs the real link-migration binary in a fresh
// folder holding conf.json and the plugins the test copies in, and captures
// its exit code, stdout and stderr separately.
#ifndef LM_TESTS_CLI_CLI_FIXTURE_H
#define LM_TESTS_CLI_CLI_FIXTURE_H

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "test_plugins.h"

namespace lm_test {

using nlohmann::json;

inline const fs::path kCli = LM_TEST_CLI;

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::ostream& operator<<(std::ostream& os, const CliResult& result) {
  return os << "exit " << result.exit_code << "\n--- stdout\n" << result.out << "--- stderr\n" << result.err;
}

// Runs `program args...` in `cwd`, stdin from /dev/null; returns once it
// has exited and both pipes are drained.
inline CliResult RunProgram(const fs::path& program, const std::vector<std::string>& args, const fs::path& cwd) {
  int out_pipe[2], err_pipe[2];
  if (pipe(out_pipe) != 0 || pipe(err_pipe) != 0) throw std::runtime_error("pipe failed");
  std::vector<std::string> argv_text = {program.string()};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_text) argv.push_back(arg.data());
  argv.push_back(nullptr);

  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    close(out_pipe[0]);
    close(err_pipe[0]);
    close(out_pipe[1]);
    close(err_pipe[1]);
    if (chdir(cwd.c_str()) != 0) _exit(127);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  CliResult result;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_count = 2;
  while (open_count > 0) {
    if (poll(fds, 2, -1) < 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buffer[4096];
      const ssize_t got = read(fds[i].fd, buffer, sizeof(buffer));
      if (got > 0) {
        sinks[i]->append(buffer, static_cast<size_t>(got));
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_count;
      }
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

class CliTest : public ::testing::Test {
 protected:
  // Each test's plugin metadata cache is its own (never the user's), in a
  // folder apart so tests that list the test's folder do not see it.
  CliTest() { setenv("LINK_MIGRATION_CACHE_DIR", CacheDir().c_str(), 1); }

  fs::path CacheDir() const { return cache_ / "cache"; }
  fs::path ConfigFile() const { return dir_ / "conf.json"; }
  fs::path Database() const { return dir_ / "target.db"; }
  fs::path MigrationsDir() const { return dir_ / "migrations"; }

  void AddPlugins(std::initializer_list<fs::path> plugins) {
    for (const fs::path& plugin : plugins) CopyPlugin(plugin, MigrationsDir());
  }
  void WriteConfig(const json& config) { WriteFile(ConfigFile(), config.dump(2)); }
  void UseSqlite(const json& params = json::object()) {
    WriteConfig({{"migrations", "migrations"},
                 {"store", {{"plugin", "sqlite"}, {"options", {{"database", "target.db"}}}}},
                 {"params", params}});
  }
  void UseJsonFile(json params = json::object()) {
    params["ledger_db"] = (dir_ / "ledger.db").string();
    WriteConfig({{"migrations", "migrations"},
                 {"store", {{"plugin", "json-file"}, {"options", {{"path", "versions.json"}}}}},
                 {"params", params}});
  }

  // link-migration with exactly these arguments, run in the test's folder.
  CliResult RunRaw(const std::vector<std::string>& args) { return RunProgram(kCli, args, dir_.path()); }
  // link-migration -c <conf.json> args...
  CliResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), {"-c", ConfigFile().string()});
    return RunRaw(args);
  }

  std::set<int64_t> Ledger() const { return ReadLedger(Database()); }

  TempDir dir_;
  TempDir cache_;
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
