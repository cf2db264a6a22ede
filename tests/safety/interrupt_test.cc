// The worker never outlives the runner. Mid-step (version 2 of the `hold`
// plugins, in a transaction or not), the runner process alone, not its
// group, gets a signal:
//   SIGKILL: the worker exits within seconds, the held step commits nothing
//     when released, and the lock is free;
//   SIGTERM, SIGINT, SIGHUP: the runner exits 12 with one line naming the
//     step and the signal, the worker is gone, the step is recorded failed
//     (a fail event; failed-rolled-back in a transaction, failed-partial
//     without), and the lock is free.
#include <gtest/gtest.h>
#include <signal.h>
#include <string.h>

#include <tuple>

#include "held_step.h"
#include "safety_env.h"

namespace lm::safety {
namespace {

struct Held {
  const char* name;    // for test names
  const char* plugin;  // built plugin path
  bool transactional;
};

void PrintTo(const Held& held, std::ostream* out) { *out << held.name; }

const Held kInTransaction{"in_transaction", LM_SAFETY_PLUGIN_HOLD, true};
const Held kNoTransaction{"no_transaction", LM_SAFETY_PLUGIN_HOLD_NOTX, false};

std::string SignalName(int signal) { return std::string("SIG") + sigabbrev_np(signal); }

class InterruptTest : public testing::TestWithParam<std::tuple<int, Held>> {
 protected:
  int signal() const { return std::get<0>(GetParam()); }
  const Held& held() const { return std::get<1>(GetParam()); }
};

TEST_P(InterruptTest, WorkerEndsWithTheRunner) {
  Workspace ws(StoreKind::kSqlite);
  ws.AddPlugin(held().plugin, "hold.so");
  HeldStep step(ws);
  Process runner = ws.Start({"up", "--lock-timeout", "10000"});
  const pid_t step_pid = step.WaitForStep(milliseconds(30000));
  ASSERT_GT(step_pid, 0) << "step 2 never started\n" << runner.Wait(milliseconds(1000)).Describe();
  ASSERT_NE(step_pid, runner.pid()) << "the step runs in the runner's own process";
  PidWatch worker(step_pid);

  ASSERT_EQ(kill(runner.pid(), signal()), 0);  // the runner alone, not its group
  const bool runner_ended = runner.Ended(milliseconds(10000));
  const bool worker_ended = worker.Ended(milliseconds(5000));
  EXPECT_TRUE(runner_ended) << "the runner still runs 10 s after " << SignalName(signal());
  EXPECT_TRUE(worker_ended) << "the worker (pid " << step_pid << ") outlived the runner by 5 s after "
                            << SignalName(signal());

  // A worker still there would now commit version 2: it must not be there.
  step.Release();
  if (!worker_ended) worker.Ended(milliseconds(10000));
  // Reaps the runner; kills what is left of its group.
  ProcessResult run = runner.Wait(milliseconds(10000));
  EXPECT_EQ(ws.Ledger(), (std::vector<int64_t>{1})) << "version 2 committed work after the runner was stopped";

  std::map<int64_t, std::string> states = ws.States();
  EXPECT_EQ(states[1], "applied");
  bool fail_event = false;
  for (const HistoryEvent& event : ws.History()) {
    fail_event |= event.kind == "fail" && event.version == 2;
    EXPECT_FALSE(event.kind == "apply" && event.version == 2) << event.line;
  }
  if (signal() == SIGKILL) {
    EXPECT_EQ(run.signal, SIGKILL) << run.Describe();
    // Nothing could record the end: the store says what the database kept.
    EXPECT_EQ(states[2], held().transactional ? "pending" : "running");
  } else {
    EXPECT_TRUE(run.exited(12)) << run.Describe();
    // One error line (the step's progress line on stdout may say it too).
    const std::vector<std::string> lines = LinesWith(run.err, SignalName(signal()));
    ASSERT_EQ(lines.size(), 1u) << run.Describe();
    EXPECT_NE(lines[0].find("version 2"), std::string::npos) << lines[0];
    EXPECT_TRUE(fail_event) << "no fail event for version 2 in the history";
    EXPECT_EQ(states[2], held().transactional ? "failed-rolled-back" : "failed-partial");
  }

  // The lock went with the runner and its worker: a second run does not
  // wait for it. It applies version 2 again, or (no transaction) asks a
  // human about it.
  step.Disarm();
  ProcessResult again = ws.Cli({"up", "--lock-timeout", "300"}, milliseconds(30000));
  EXPECT_FALSE(again.exited(6)) << "the lock is still held\n" << again.Describe();
  const bool needs_human = !held().transactional;
  if (needs_human) {
    EXPECT_TRUE(again.exited(9)) << again.Describe();
    EXPECT_NE(again.err.find("version 2"), std::string::npos) << again.err;
    EXPECT_EQ(ws.Ledger(), (std::vector<int64_t>{1}));
  } else {
    EXPECT_TRUE(again.exited(0)) << again.Describe();
    EXPECT_EQ(ws.Ledger(), (std::vector<int64_t>{1, 2}));
  }
}

INSTANTIATE_TEST_SUITE_P(Signals, InterruptTest,
                         testing::Combine(testing::Values(SIGKILL, SIGTERM, SIGINT, SIGHUP),
                                          testing::Values(kInTransaction, kNoTransaction)),
                         [](const testing::TestParamInfo<std::tuple<int, Held>>& info) {
                           return SignalName(std::get<0>(info.param)) + "_" + std::get<1>(info.param).name;
                         });

}  // namespace
}  // namespace lm::safety
