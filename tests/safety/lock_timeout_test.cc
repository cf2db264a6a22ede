// While one runner holds the store's lock, a second one with --lock-timeout
// 300 gives up after about 300 ms with exit 6, naming the holder; once the
// holder is done, a rerun goes through.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <regex>
#include <set>

#include "safety_env.h"

namespace lm::safety {
namespace {

// The runner's pid and its children's (the worker that holds the lock).
std::set<pid_t> ProcessAndChildren(pid_t pid) {
  std::set<pid_t> pids{pid};
  for (pid_t child : ChildrenOf(pid)) pids.insert(child);
  return pids;
}

class LockTimeoutTest : public testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override {
    if (IsPostgres(GetParam()) && !PostgresServerConninfo()) GTEST_SKIP() << "no postgres fixture";
  }
};

TEST_P(LockTimeoutTest, SecondRunnerGivesUpNamingTheHolder) {
  Workspace ws(GetParam());
  ws.AddPlugin(LM_SAFETY_PLUGIN_BLOCKER);
  const std::filesystem::path fifo = ws.dir() / "release.fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  ws.SetParam("fifo", fifo.string());

  // How long a runner takes to start and stop here, to bound the wait below.
  ProcessResult baseline = ws.Cli({"status"});
  ASSERT_TRUE(baseline.exited(0)) << baseline.Describe();

  Process holder = ws.Start({"up", "--step-timeout", "60000"});
  // Version 1 opens the fifo for reading once it runs, under the lock; our
  // non-blocking open for writing succeeds from then on.
  int release = -1;
  ASSERT_TRUE(PollUntil(
      [&] {
        release = open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        return release >= 0 || holder.Ended();
      },
      milliseconds(30000)));
  ASSERT_GE(release, 0) << holder.Wait(milliseconds(1000)).Describe();
  const std::set<pid_t> holder_pids = ProcessAndChildren(holder.pid());

  ProcessResult second = ws.Cli({"up", "--lock-timeout", "300"}, milliseconds(30000));
  EXPECT_TRUE(second.exited(6)) << second.Describe();
  EXPECT_GE(second.elapsed, milliseconds(300)) << second.Describe();
  // Not far past 300 ms: the runner's own start-up (as measured) plus slack.
  EXPECT_LT(second.elapsed, milliseconds(300) + 2 * baseline.elapsed + milliseconds(1500))
      << "waited " << second.elapsed.count() << " ms; a status run took " << baseline.elapsed.count() << " ms";
  std::smatch pid;
  ASSERT_TRUE(std::regex_search(second.err, pid, std::regex(R"(\bpid (\d+)\b)"))) << second.err;
  EXPECT_EQ(holder_pids.count(std::stoi(pid[1])), 1u)
      << "named pid " << pid[1] << "; the holder is " << holder.pid() << " (and its worker)\n"
      << second.err;
  std::cout << "[ holder   ] gave up after " << second.elapsed.count()
            << " ms (a status run: " << baseline.elapsed.count() << " ms); the message names pid " << pid[1] << ", the "
            << (std::stoi(pid[1]) == holder.pid() ? "runner started by the test" : "runner's worker") << std::endl;
  EXPECT_EQ(LinesWith(second.err, "link-migration: error: ").size(), 1u) << second.err;
  EXPECT_TRUE(ws.Ledger().empty()) << "the second runner ran a step";

  ASSERT_EQ(write(release, "x", 1), 1);
  close(release);
  ProcessResult first = holder.Wait(milliseconds(30000));
  EXPECT_TRUE(first.exited(0)) << first.Describe();
  EXPECT_EQ(ws.Ledger(), (std::vector<int64_t>{1, 2}));

  ProcessResult rerun = ws.Cli({"up", "--lock-timeout", "300"});
  EXPECT_TRUE(rerun.exited(0)) << rerun.Describe();
  EXPECT_NE(rerun.out.find("nothing to do"), std::string::npos) << rerun.out;
}

INSTANTIATE_TEST_SUITE_P(Stores, LockTimeoutTest,
                         testing::Values(StoreKind::kSqlite, StoreKind::kJsonFile, StoreKind::kPostgresAdvisory,
                                         StoreKind::kPostgresLease),
                         [](const testing::TestParamInfo<StoreKind>& info) { return StoreKindName(info.param); });

}  // namespace
}  // namespace lm::safety
