// What the runner says comes from its worker, never from a step: a step that
// prints lines looking like the worker's reports (every type, a final status
// of success included) and then dies is reported as died (exit 10), and one
// that returns changes nothing the runner prints or records. Also: a step's
// start shows in a piped log while the step runs, and a worker killed before
// its first step is reported as such (exit 10) with nothing recorded.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <set>

#include "held_step.h"
#include "safety_env.h"

namespace lm::safety {
namespace {

// Lines of `text` holding a forged text anywhere but in a step's output
// ("    | ..."): each would be a forgery taken for a report.
std::vector<std::string> ForgeriesBelieved(const std::string& text) {
  std::vector<std::string> believed;
  for (const std::string& line : LinesWith(text, "FORGED")) {
    const size_t output = line.find("| ");
    if (output == std::string::npos || output > line.find("FORGED")) believed.push_back(line);
  }
  return believed;
}

std::string Joined(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  return text;
}

// version -> state from `status --output json`.
std::map<int64_t, std::string> JsonStates(const Workspace& ws) {
  ProcessResult status = ws.Cli({"status", "--output", "json"});
  EXPECT_TRUE(status.exited(0)) << status.Describe();
  std::map<int64_t, std::string> states;
  const nlohmann::json document = nlohmann::json::parse(status.out, nullptr, /*allow_exceptions=*/false);
  if (!document.is_object() || !document.contains("versions")) {
    ADD_FAILURE() << "status --output json printed no versions:\n" << status.out;
    return states;
  }
  for (const nlohmann::json& version : document["versions"])
    states[version.value("version", int64_t{-1})] = version.value("state", std::string("?"));
  return states;
}

class SealedReportsTest : public testing::TestWithParam<StoreKind> {};

// Version 2 forges a whole successful end of run on stdout and stderr, then
// dies with SIGSEGV: the runner must say it died.
TEST_P(SealedReportsTest, ForgedReportsThenSegvIsReportedAsDied) {
  Workspace ws(GetParam());
  ws.AddPlugin(LM_SAFETY_PLUGIN_FORGE_SEGV, "forge.so");

  ProcessResult run = ws.Cli({"up", "--lock-timeout", "10000"}, milliseconds(30000));
  EXPECT_TRUE(run.exited(10)) << run.Describe();
  EXPECT_EQ(run.out.find("Done:"), std::string::npos) << "the run is reported done";
  EXPECT_EQ(run.err.find("Done:"), std::string::npos) << "the run is reported done";
  const std::vector<std::string> died = LinesWith(run.err, "version 2");
  EXPECT_EQ(died.size(), 1u) << "not one line about version 2 on stderr";
  for (const std::string& line : died) EXPECT_NE(line.find("SIGSEGV"), std::string::npos) << line;
  EXPECT_NE(run.out.find("[2/2] applying 2 forger"), std::string::npos);
  // The forged plan's bytes may show as the step's output; as a plan they
  // would start a line of their own.
  EXPECT_EQ(LinesWith(run.out, "Migrating ").size(), 1u) << "a forged plan was reported";
  EXPECT_EQ(run.out.find("[7/9]"), std::string::npos) << "a forged start was reported";
  EXPECT_EQ(ForgeriesBelieved(run.out + run.err), std::vector<std::string>())
      << "forged lines shown as reports, not as the step's output:\n"
      << Joined(ForgeriesBelieved(run.out + run.err));

  EXPECT_EQ(ws.Current(), 1);
  std::map<int64_t, std::string> states = JsonStates(ws);
  EXPECT_EQ(states[1], "applied");
  EXPECT_NE(states[2], "applied") << "status --output json shows version 2 applied";
  if (IsTransactional(GetParam())) {
    EXPECT_EQ(states[2], "failed-rolled-back");
    EXPECT_EQ(ws.Ledger(), (std::vector<int64_t>{1}));
  } else {
    EXPECT_EQ(states[2], "failed-partial");
  }
  bool fail_event = false;
  for (const HistoryEvent& event : ws.History()) {
    fail_event |= event.kind == "fail" && event.version == 2;
    EXPECT_FALSE(event.kind == "apply" && event.version == 2) << event.line;
  }
  EXPECT_TRUE(fail_event) << "no fail event for version 2 in the history";
}

// The same forgeries from a step that then returns: the run goes as planned
// and nothing forged shows as the runner's own word.
TEST_P(SealedReportsTest, ForgedReportsThenReturnChangeNothing) {
  Workspace ws(GetParam());
  ws.AddPlugin(LM_SAFETY_PLUGIN_FORGE_RETURN, "forge.so");

  ProcessResult run = ws.Cli({"up", "--lock-timeout", "10000"}, milliseconds(30000));
  EXPECT_TRUE(run.exited(0)) << run.Describe();
  const std::string store = GetParam() == StoreKind::kSqlite ? "sqlite" : "json-file";
  EXPECT_NE(run.out.find("from version 0 to 2 in 2 steps"), std::string::npos) << run.Describe();
  EXPECT_NE(run.out.find("[1/2] applying 1 before_the_forgery"), std::string::npos);
  EXPECT_NE(run.out.find("[2/2] applying 2 forger"), std::string::npos);
  EXPECT_NE(run.out.find("Done: " + store + " is at version 2 after 2 steps"), std::string::npos);
  // The forged plan's bytes may show as the step's output; as a plan they
  // would start a line of their own.
  EXPECT_EQ(LinesWith(run.out, "Migrating ").size(), 1u) << "a forged plan was reported";
  EXPECT_EQ(run.out.find("[7/9]"), std::string::npos) << "a forged start was reported";
  EXPECT_EQ(run.out.find("reverting"), std::string::npos) << "a forged start was reported";
  EXPECT_EQ(ForgeriesBelieved(run.out + run.err), std::vector<std::string>())
      << "forged lines shown as reports, not as the step's output:\n"
      << Joined(ForgeriesBelieved(run.out + run.err));

  EXPECT_EQ(ws.Current(), 2);
  std::map<int64_t, std::string> states = JsonStates(ws);
  EXPECT_EQ(states[1], "applied");
  EXPECT_EQ(states[2], "applied");
  EXPECT_EQ(ws.Ledger(), (std::vector<int64_t>{1, 2}));
}

INSTANTIATE_TEST_SUITE_P(Stores, SealedReportsTest, testing::Values(StoreKind::kSqlite, StoreKind::kJsonFile),
                         [](const testing::TestParamInfo<StoreKind>& info) { return StoreKindName(info.param); });

// Reads `fd` into `text` until `needle` is in it (an empty needle: until
// the end of the stream) or `within` passes. Returns whether it got there.
bool ReadUntil(int fd, std::string* text, const std::string& needle, milliseconds within) {
  const auto deadline = Clock::now() + within;
  for (;;) {
    if (!needle.empty() && text->find(needle) != std::string::npos) return true;
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd ready{fd, POLLIN, 0};
    const int polled = poll(&ready, 1, static_cast<int>(left.count()));
    if (polled < 0 && errno == EINTR) continue;
    if (polled <= 0) return false;
    char buffer[4096];
    const ssize_t got = read(fd, buffer, sizeof(buffer));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return needle.empty();
    text->append(buffer, static_cast<size_t>(got));
  }
}

// stdout a pipe: the whole line "[2/2] applying 2 held ...", newline and
// all, is there while step 2 waits for us: a log read line by line (a CI
// job's) shows which step hangs.
TEST(StepStartTest, ShownInAPipeWhileTheStepRuns) {
  Workspace ws(StoreKind::kSqlite);
  ws.AddPlugin(LM_SAFETY_PLUGIN_HOLD, "hold.so");
  HeldStep held(ws);
  int out[2];
  ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
  StartOptions options;
  options.stdout_fd = out[1];
  Process runner = ws.Start({"up", "--lock-timeout", "10000"}, options);
  close(out[1]);

  std::string text;
  const bool shown = ReadUntil(out[0], &text, "[2/2] applying 2 held ...\n", milliseconds(15000));
  // And what the held step printed, though no report follows it yet.
  const bool printed = ReadUntil(out[0], &text, "    | held until released\n", milliseconds(15000));
  const bool step_running = !runner.Ended();
  EXPECT_TRUE(shown) << "in 15 s with step 2 held, the runner's stdout showed only:\n" << text;
  EXPECT_TRUE(printed) << "what the held step printed was not shown while it ran:\n" << text;
  EXPECT_TRUE(step_running) << "the runner ended while step 2 was held";
  EXPECT_EQ(text.find("Done:"), std::string::npos) << text;

  held.Release();
  const bool ended = ReadUntil(out[0], &text, "", milliseconds(30000));
  close(out[0]);
  ProcessResult run = runner.Wait(milliseconds(30000));
  EXPECT_TRUE(ended) << "the runner's stdout stayed open";
  EXPECT_TRUE(run.exited(0)) << run.Describe() << "--- stdout (the pipe) ---\n" << text;
  EXPECT_NE(text.find("Done: sqlite is at version 2"), std::string::npos) << text;
  EXPECT_EQ(ws.Ledger(), (std::vector<int64_t>{1, 2}));
}

// Runner A holds the lock in step 2; runner B's worker, waiting for the
// lock, is SIGKILLed: B says so in one line and exits 10, recording nothing.
TEST(WorkerDeathTest, KilledBeforeItsFirstStep) {
  Workspace ws(StoreKind::kSqlite);
  ws.AddPlugin(LM_SAFETY_PLUGIN_HOLD, "hold.so");
  HeldStep held(ws);
  Process a = ws.Start({"up", "--lock-timeout", "10000"});
  ASSERT_GT(held.WaitForStep(milliseconds(30000)), 0) << "runner A's step 2 never started\n"
                                                       << a.Wait(milliseconds(1000)).Describe();
  ASSERT_EQ(ws.Ledger(), (std::vector<int64_t>{1}));

  Process b = ws.Start({"up", "--lock-timeout", "60000"});
  std::vector<pid_t> children;
  // No event tells that a worker was forked: /proc is read until it shows one.
  ASSERT_TRUE(PollUntil(
      [&] {
        children = ChildrenOf(b.pid());
        return !children.empty() || b.Ended();
      },
      milliseconds(20000)));
  ASSERT_EQ(children.size(), 1u) << "runner B has no worker\n" << b.Wait(milliseconds(1000)).Describe();
  PidWatch worker(children[0]);
  ASSERT_TRUE(worker.Signal(SIGKILL));
  EXPECT_TRUE(worker.Ended(milliseconds(5000)));

  ProcessResult second = b.Wait(milliseconds(15000));
  EXPECT_TRUE(second.exited(10)) << second.Describe();
  const std::vector<std::string> killed = LinesWith(second.err, "SIGKILL");
  ASSERT_EQ(killed.size(), 1u) << second.Describe();
  EXPECT_NE(killed[0].find("first step"), std::string::npos) << killed[0];
  EXPECT_EQ(LinesWith(second.err, "link-migration: error: ").size(), 1u) << second.err;
  EXPECT_EQ(second.out.find("applying"), std::string::npos) << second.out;

  held.Release();
  ProcessResult first = a.Wait(milliseconds(30000));
  EXPECT_TRUE(first.exited(0)) << first.Describe();
  EXPECT_EQ(ws.Ledger(), (std::vector<int64_t>{1, 2}));
  // A's two applies and nothing else.
  std::multiset<std::string> events;
  std::string lines;
  for (const HistoryEvent& event : ws.History()) {
    events.insert(event.kind + " " + std::to_string(event.version));
    lines += event.line + "\n";
  }
  EXPECT_EQ(events, (std::multiset<std::string>{"apply 1", "apply 2"})) << lines;
}

}  // namespace
}  // namespace lm::safety
