// The supervisor (supervisor.h): a worker's reports reach the reporter whole
// and in order, whether the supervisor reads them in batches (sleeping on the
// worker's exit) or wakes for each one; a worker that dies or hangs mid-step
// is named by that step, and its death recorded.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "engine_fixture.h"
#include "run/supervisor.h"

namespace {

using std::chrono::milliseconds;

class SupervisorTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    // No metadata cache: these are the build tree's plugins, not a test's copies.
    ASSERT_TRUE(lm::LoadCatalog({{lm_test::plugin::kLedger1, false}, {lm_test::plugin::kIrreversible, false}},
                                lm::TrustPolicy{}, lm::BundlePolicy{}, lm::MetaCacheOptions{}, &catalog_)
                    .ok());
    options_.read_every_report = GetParam();
  }

  lm::PlannedStep Step(int64_t version) { return lm::PlannedStep{catalog_.Find(version), lm::Direction::kUp, 0}; }

  lm::Status Run(const lm::WorkerJob& job) {
    return lm::RunInWorker(job, catalog_, options_, reporter_, [&](const lm::PlannedStep& step, const std::string& reason) {
      deaths_.push_back(std::to_string(step.migration->version) + ": " + reason);
      return lm::Status::Ok();
    });
  }

  lm::Catalog catalog_;
  lm::SupervisorOptions options_;
  lm_test::RecordingReporter reporter_;
  std::vector<std::string> deaths_;
};

// Far more reports than one read takes, sent faster than the supervisor
// reads them, each step with a logged and a printed line.
TEST_P(SupervisorTest, ManyFastReportsArriveWholeAndInOrder) {
  constexpr int kSteps = 3000;
  const lm::Status status = Run([&](lm::Reporter& relay, lm::LoadingMark&) {
    for (int i = 0; i < kSteps; ++i) {
      relay.StepStarted(Step(1), static_cast<size_t>(i) + 1, kSteps);
      relay.StepLine(lm::LineKind::kInfo, "logged " + std::to_string(i));
      std::printf("printed %d\n", i);
      relay.StepFinished(Step(1), lm::StepOutcome{true, i, "", ""});
    }
    return lm::Status::Ok();
  });
  ASSERT_TRUE(status.ok()) << status.message();
  ASSERT_EQ(reporter_.steps.size(), static_cast<size_t>(kSteps));
  for (int i = 0; i < kSteps; ++i) {
    const lm_test::RecordedStep& step = reporter_.steps[static_cast<size_t>(i)];
    ASSERT_EQ(step.lines.size(), 2u) << "step " << i;
    EXPECT_EQ(step.lines[0].second, "logged " + std::to_string(i));
    EXPECT_EQ(step.lines[1].second, "printed " + std::to_string(i));
    ASSERT_TRUE(step.outcome.has_value()) << "step " << i;
    EXPECT_EQ(step.outcome->duration_ms, i);
  }
  EXPECT_TRUE(deaths_.empty());
}

// The reports before the death are still in the pipe when the worker is
// gone: the step that was running is the last one started.
TEST_P(SupervisorTest, AWorkerKilledRightAfterFastStepsIsNamedByItsRunningStep) {
  const lm::Status status = Run([&](lm::Reporter& relay, lm::LoadingMark&) {
    for (int i = 0; i < 200; ++i) {
      relay.StepStarted(Step(1), static_cast<size_t>(i) + 1, 201);
      relay.StepFinished(Step(1), lm::StepOutcome{true, 0, "", ""});
    }
    relay.StepStarted(Step(5), 201, 201);
    std::printf("printed before the kill\n");
    std::fflush(stdout);
    raise(SIGKILL);
    return lm::Status::Ok();
  });
  EXPECT_EQ(status.kind(), lm::ErrorKind::kStepDied) << status.message();
  EXPECT_NE(status.message().find("version 5 ("), std::string::npos) << status.message();
  EXPECT_NE(status.message().find(") died with SIGKILL during up"), std::string::npos) << status.message();
  ASSERT_EQ(reporter_.steps.size(), 201u);
  EXPECT_EQ(reporter_.steps.back().version, 5);
  EXPECT_EQ(reporter_.LinesOf(5), (std::vector<std::string>{"output: printed before the kill"}));
  ASSERT_TRUE(reporter_.steps.back().outcome.has_value());
  EXPECT_FALSE(reporter_.steps.back().outcome->ok);
  EXPECT_EQ(deaths_, (std::vector<std::string>{"5: died with SIGKILL"}));
}

TEST_P(SupervisorTest, AHungStepIsKilledAtItsTimeout) {
  options_.step_timeout = milliseconds(300);
  const auto started = std::chrono::steady_clock::now();
  const lm::Status status = Run([&](lm::Reporter& relay, lm::LoadingMark&) {
    relay.StepStarted(Step(1), 1, 1);
    sleep(60);
    return lm::Status::Ok();
  });
  const auto took = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - started);
  EXPECT_EQ(status.kind(), lm::ErrorKind::kStepTimeout) << status.message();
  EXPECT_NE(status.message().find("timed out after 300 ms"), std::string::npos) << status.message();
  EXPECT_GE(took, milliseconds(300));
  EXPECT_LT(took, milliseconds(20000)) << "the hung step was not cut";
  EXPECT_EQ(deaths_.size(), 1u);
}

// A process that holds the worker at the start of its exit (ptrace's exit
// stop, before the kernel unmaps anything or closes a descriptor) until
// told to let go. It is a child of the test, not of the worker, and uses
// only system calls: it is forked from a process that may run threads.
class ExitHolder {
 public:
  ExitHolder() {
    if (pipe(pid_) != 0 || pipe(go_) != 0 || pipe(news_) != 0 || pipe(release_) != 0) return;
    holder_ = fork();
    if (holder_ == 0) Hold();
  }
  ~ExitHolder() {
    Release();
    if (holder_ > 0) waitpid(holder_, nullptr, 0);
    for (int* ends : {pid_, go_, news_, release_})
      for (int i = 0; i < 2; ++i)
        if (ends[i] >= 0) close(ends[i]);
  }

  pid_t holder() const { return holder_; }

  // In the worker: lets the holder trace it, tells it who to hold, and
  // waits until it does. False when tracing is not allowed here.
  bool HoldMe() const {
    prctl(PR_SET_PTRACER, holder_);
    const pid_t me = getpid();
    char answer = 0;
    return write(pid_[1], &me, sizeof(me)) == sizeof(me) && read(go_[0], &answer, 1) == 1 && answer == 'G';
  }

  // In the test: the held worker's pid, once the holder has it at its exit
  // stop; -1 if tracing failed.
  pid_t HeldWorker() const {
    pid_t worker = -1;
    char held = 0;
    if (read(news_[0], &worker, sizeof(worker)) != sizeof(worker) || read(news_[0], &held, 1) != 1 || held != 'X')
      return -1;
    return worker;
  }

  // Whether the holder let go on its own (it does after kGiveUp), which
  // only a supervisor that waited for the worker's exit would have needed.
  bool GaveUp() const {
    pollfd news{news_[0], POLLIN, 0};
    return poll(&news, 1, 0) == 1;
  }

  // Written, not closed: the worker holds a copy of every end.
  void Release() {
    if (!released_) released_ = write(release_[1], "r", 1) == 1;
  }

 private:
  static constexpr int kGiveUpMs = 20000;

  [[noreturn]] void Hold() {
    pid_t worker = -1;
    if (read(pid_[0], &worker, sizeof(worker)) != sizeof(worker)) _exit(1);
    if (ptrace(PTRACE_SEIZE, worker, nullptr, long{PTRACE_O_TRACEEXIT}) != 0) {
      (void)!write(go_[1], "E", 1);
      _exit(0);
    }
    (void)!write(go_[1], "G", 1);
    int status = 0;
    for (;;) {
      if (waitpid(worker, &status, __WALL) != worker) _exit(1);
      if (WIFSTOPPED(status) && (status >> 8) == (SIGTRAP | (PTRACE_EVENT_EXIT << 8))) break;
      // Anything else (a signal the worker got) is passed on.
      ptrace(PTRACE_CONT, worker, nullptr, long{WIFSTOPPED(status) ? WSTOPSIG(status) : 0});
    }
    (void)!write(news_[1], &worker, sizeof(worker));
    (void)!write(news_[1], "X", 1);
    pollfd release{release_[0], POLLIN, 0};
    if (poll(&release, 1, kGiveUpMs) == 0) (void)!write(news_[1], "R", 1);
    ptrace(PTRACE_DETACH, worker, nullptr, nullptr);
    _exit(0);
  }

  int pid_[2] = {-1, -1};
  int go_[2] = {-1, -1};
  int news_[2] = {-1, -1};
  int release_[2] = {-1, -1};
  pid_t holder_ = -1;
  bool released_ = false;
};

// Unmapping a thousand plugin files takes the worker's exit milliseconds:
// once its final report is in and it has closed its output, the supervisor
// answers without waiting for that, and collects the exit before the next
// worker starts.
TEST_P(SupervisorTest, AnswersOnceTheWorkerHasSaidEverythingNotWhenItHasExited) {
  ExitHolder holder;
  ASSERT_GT(holder.holder(), 0) << "cannot fork the holder";
  bool traced = true;
  const lm::Status status = Run([&](lm::Reporter& relay, lm::LoadingMark&) {
    if (!holder.HoldMe()) return lm::Status::Error(lm::ErrorKind::kMigrationFailed, "not traced");
    relay.StepStarted(Step(1), 1, 1);
    std::printf("a line without its end");  // flushed ahead of the final report
    relay.StepFinished(Step(1), lm::StepOutcome{true, 4, "", ""});
    return lm::Status::Ok();
  });
  if (status.message() == "not traced") {
    traced = false;
    holder.Release();
  }
  if (!traced) GTEST_SKIP() << "ptrace is not allowed here, so the worker's exit cannot be held";
  ASSERT_TRUE(status.ok()) << status.message();
  const pid_t worker = holder.HeldWorker();
  ASSERT_GT(worker, 0) << "the holder did not catch the worker's exit";
  EXPECT_FALSE(holder.GaveUp()) << "the supervisor waited for the held exit";
  ASSERT_EQ(reporter_.steps.size(), 1u);
  EXPECT_EQ(reporter_.LinesOf(1), (std::vector<std::string>{"output: a line without its end"}));
  ASSERT_TRUE(reporter_.steps[0].outcome.has_value());
  EXPECT_EQ(reporter_.steps[0].outcome->duration_ms, 4);

  // Let go, the worker ends; the next run collects it, so no zombie of it
  // stays behind.
  holder.Release();
  ASSERT_TRUE(Run([](lm::Reporter&, lm::LoadingMark&) { return lm::Status::Ok(); }).ok());
  EXPECT_EQ(kill(worker, 0), -1) << "worker " << worker << " was not reaped";
  EXPECT_EQ(errno, ESRCH);
}

// An end of the stream with no final report before it (a plugin closed the
// worker's output) does not end the watch: the worker's exit still says
// how the run ended.
TEST_P(SupervisorTest, AStreamEndedWithoutAFinalReportWaitsForTheExit) {
  const lm::Status status = Run([&](lm::Reporter&, lm::LoadingMark&) {
    close(STDOUT_FILENO);
    close(STDERR_FILENO);
    usleep(200 * 1000);
    _exit(7);
    return lm::Status::Ok();
  });
  EXPECT_EQ(status.kind(), lm::ErrorKind::kMigrationFailed) << status.message();
  EXPECT_NE(status.message().find("ended the process with exit(7) outside any step"), std::string::npos)
      << status.message();
}

// A process a step leaves running keeps the worker's output open: the
// worker's exit, not the end of the stream, ends the watch.
TEST_P(SupervisorTest, AProcessAStepLeftRunningDoesNotHoldUpTheAnswer) {
  int report[2];
  ASSERT_EQ(pipe(report), 0);
  const auto started = std::chrono::steady_clock::now();
  const lm::Status status = Run([&](lm::Reporter& relay, lm::LoadingMark&) {
    relay.StepStarted(Step(1), 1, 1);
    const pid_t left = fork();
    if (left == 0) {
      sleep(60);  // with the worker's stdout and stderr
      _exit(0);
    }
    (void)!write(report[1], &left, sizeof(left));
    relay.StepFinished(Step(1), lm::StepOutcome{true, 0, "", ""});
    return lm::Status::Ok();
  });
  const auto took = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - started);
  pid_t left = -1;
  ASSERT_EQ(read(report[0], &left, sizeof(left)), static_cast<ssize_t>(sizeof(left)));
  kill(left, SIGKILL);
  close(report[0]);
  close(report[1]);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_LT(took, milliseconds(30000)) << "the supervisor waited for the step's process";
  ASSERT_EQ(reporter_.steps.size(), 1u);
  EXPECT_TRUE(reporter_.steps[0].outcome.has_value());
}

INSTANTIATE_TEST_SUITE_P(Reading, SupervisorTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return std::string(info.param ? "EveryReport" : "InBatches");
                         });

}  // namespace
