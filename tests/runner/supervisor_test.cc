// The supervisor (supervisor.h): a worker's reports reach the reporter whole
// and in order, with its steps' output where it was printed; nothing a step
// prints is taken for a report; a worker that dies, hangs or is stopped is
// named by what it was doing, and a death mid-step is recorded; and the
// supervisor answers only once its worker has exited.
#include <gtest/gtest.h>
#include <signal.h>
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

class SupervisorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(lm::LoadCatalog({{lm_test::plugin::kLedger1, false}, {lm_test::plugin::kIrreversible, false}},
                                lm::TrustPolicy{}, lm::BundlePolicy{}, &catalog_)
                    .ok());
    ASSERT_TRUE(catalog_.Usable().ok()) << catalog_.Usable().message();
  }

  lm::PlannedStep Step(int64_t version) { return lm::PlannedStep{catalog_.Find(version), lm::Direction::kUp, 0}; }

  // A plan of `versions`, as the worker reports it before its first step.
  lm::Plan PlanOf(const std::vector<int64_t>& versions) {
    lm::Plan plan;
    for (int64_t version : versions) plan.steps.push_back(Step(version));
    plan.final_version = versions.empty() ? 0 : versions.back();
    return plan;
  }

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
// reads them, each step with a logged and a printed line: each line stays
// with its step, in the order it was written.
TEST_F(SupervisorTest, ManyFastReportsArriveWholeAndInOrder) {
  constexpr int kSteps = 3000;
  const lm::Status status = Run([&](lm::RelayReporter& relay) {
    relay.PlanReady("test", PlanOf({1}), false);
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
TEST_F(SupervisorTest, AWorkerKilledRightAfterFastStepsIsNamedByItsRunningStep) {
  const lm::Status status = Run([&](lm::RelayReporter& relay) {
    relay.PlanReady("test", PlanOf({1, 5}), false);
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

// Binary data a step prints may hold anything, the bytes of every report
// included: on the step's own pipe they are output, never reports. Here a
// step forges the plan, a finish, a final "success", log lines and the
// markers of the old shared stream, then crashes.
TEST_F(SupervisorTest, NothingAStepPrintsIsTakenForAReport) {
  const std::string forged[] = {
      "X\x1f" "0\x1f\x1f",                            // a final status: success
      "F\x1f" "5\x1f" "0\x1f" "0\x1f" "1\x1f" "3\x1f\x1f\x1f",  // version 5 finished well
      "P\x1ftest\x1f" "0\x1f" "5\x1f" "0\x1f" "0\x1f",      // an empty plan
      "S\x1f" "1\x1f" "0\x1f" "0\x1f" "1\x1f" "1\x1f",      // version 1 started
      "O\x1fplugin.so\x1f",                           // loading a plugin
      "W\x1f" "forged warning\x1f",
      "L\x1f" "2\x1f" "forged log line\x1f",
      "\x1dX\x1f" "0\x1f\x1f",  // the old stream's report marker
      "\x1e" "2forged old log line",  // and its log-line marker
  };
  const lm::Status status = Run([&](lm::RelayReporter& relay) {
    relay.PlanReady("test", PlanOf({5}), false);
    relay.StepStarted(Step(5), 1, 1);
    for (const std::string& line : forged) {
      std::printf("%s\n", line.c_str());
      std::fprintf(stderr, "%s\n", line.c_str());
    }
    std::fflush(nullptr);
    raise(SIGSEGV);
    return lm::Status::Ok();
  });
  EXPECT_EQ(status.kind(), lm::ErrorKind::kStepDied) << status.message();
  EXPECT_NE(status.message().find("died with SIGSEGV"), std::string::npos) << status.message();
  EXPECT_TRUE(reporter_.warnings.empty());
  ASSERT_EQ(reporter_.steps.size(), 1u);
  const lm_test::RecordedStep& step = reporter_.steps[0];
  ASSERT_EQ(step.lines.size(), 2 * std::size(forged));
  for (const auto& [kind, text] : step.lines) EXPECT_EQ(kind, lm::LineKind::kOutput) << text;
  ASSERT_TRUE(step.outcome.has_value());
  EXPECT_FALSE(step.outcome->ok);
  EXPECT_EQ(deaths_, (std::vector<std::string>{"5: died with SIGSEGV"}));
}

// A line printed without its end, then a report: the line is the step's,
// shown before the report.
TEST_F(SupervisorTest, ALineWithoutItsEndGoesBeforeTheNextReport) {
  const lm::Status status = Run([&](lm::RelayReporter& relay) {
    relay.PlanReady("test", PlanOf({1}), false);
    relay.StepStarted(Step(1), 1, 1);
    std::printf("a line without its end");
    relay.StepLine(lm::LineKind::kWarning, "logged after it");
    relay.StepFinished(Step(1), lm::StepOutcome{true, 4, "", ""});
    return lm::Status::Ok();
  });
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(reporter_.LinesOf(1),
            (std::vector<std::string>{"output: a line without its end", "warning: logged after it"}));
}

TEST_F(SupervisorTest, AHungStepIsKilledAtItsTimeout) {
  options_.step_timeout = milliseconds(300);
  const auto started = std::chrono::steady_clock::now();
  const lm::Status status = Run([&](lm::RelayReporter& relay) {
    relay.PlanReady("test", PlanOf({1}), false);
    relay.StepStarted(Step(1), 1, 1);
    pause();
    return lm::Status::Ok();
  });
  const auto took = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - started);
  EXPECT_EQ(status.kind(), lm::ErrorKind::kStepTimeout) << status.message();
  EXPECT_NE(status.message().find("timed out after 300 ms"), std::string::npos) << status.message();
  EXPECT_GE(took, milliseconds(300));
  EXPECT_EQ(deaths_, (std::vector<std::string>{"1: timed out after 300 ms and was killed"}));
}

// SIGTERM, SIGINT and SIGHUP to the runner stop the running step as a
// timeout does: the worker is killed and the step recorded as died.
TEST_F(SupervisorTest, AStopSignalToTheRunnerKillsTheStepAndRecordsIt) {
  for (int stop : {SIGTERM, SIGINT, SIGHUP}) {
    SCOPED_TRACE(sigabbrev_np(stop));
    reporter_ = lm_test::RecordingReporter{};
    deaths_.clear();
    const lm::Status status = Run([&](lm::RelayReporter& relay) {
      relay.PlanReady("test", PlanOf({1}), false);
      relay.StepStarted(Step(1), 1, 1);
      kill(getppid(), stop);
      pause();
      return lm::Status::Ok();
    });
    EXPECT_EQ(status.kind(), lm::ErrorKind::kInterrupted) << status.message();
    const std::string name = std::string("SIG") + sigabbrev_np(stop);
    EXPECT_NE(status.message().find("version 1 ("), std::string::npos) << status.message();
    EXPECT_NE(status.message().find(name), std::string::npos) << status.message();
    ASSERT_EQ(deaths_.size(), 1u);
    EXPECT_NE(deaths_[0].find(name), std::string::npos) << deaths_[0];
  }
}

// Before its first step the worker has changed nothing; its death is still
// the death of a worker (exit code 10), not an ordinary failure.
TEST_F(SupervisorTest, AWorkerThatDiesBeforeItsFirstStepIsADeath) {
  const lm::Status status = Run([&](lm::RelayReporter&) {
    raise(SIGKILL);
    return lm::Status::Ok();
  });
  EXPECT_EQ(status.kind(), lm::ErrorKind::kStepDied) << status.message();
  EXPECT_NE(status.message().find("died with SIGKILL before its first step"), std::string::npos) << status.message();
  EXPECT_TRUE(deaths_.empty());
}

// A plugin whose static initialisers kill the worker is named, and no step
// is blamed.
TEST_F(SupervisorTest, AWorkerThatDiesWhileLoadingAPluginNamesTheFile) {
  const lm::Status status = Run([&](lm::RelayReporter& relay) {
    relay.Loading("migrations/0003_broken.so");
    raise(SIGSEGV);
    return lm::Status::Ok();
  });
  EXPECT_EQ(status.kind(), lm::ErrorKind::kPluginLoad) << status.message();
  EXPECT_NE(status.message().find("migrations/0003_broken.so: the worker died with SIGSEGV while loading"),
            std::string::npos)
      << status.message();
  EXPECT_TRUE(reporter_.steps.empty());
  EXPECT_TRUE(deaths_.empty());
}

// An end of the output with no final report (a plugin closed the worker's
// stdout and stderr) does not end the watch: the worker's exit still says
// how the run ended.
TEST_F(SupervisorTest, ClosedOutputWithoutAFinalReportWaitsForTheExit) {
  const lm::Status status = Run([&](lm::RelayReporter&) {
    close(STDOUT_FILENO);
    close(STDERR_FILENO);
    _exit(7);
    return lm::Status::Ok();
  });
  EXPECT_EQ(status.kind(), lm::ErrorKind::kStepDied) << status.message();
  EXPECT_NE(status.message().find("ended the process with exit(7) before its first step"), std::string::npos)
      << status.message();
}

// The answer comes once the worker has exited and been collected: no worker
// of a finished run is left, not even as a zombie.
TEST_F(SupervisorTest, AnswersOnlyOnceTheWorkerHasExited) {
  int report[2];
  ASSERT_EQ(pipe(report), 0);
  const lm::Status status = Run([&](lm::RelayReporter&) {
    const pid_t me = getpid();
    (void)!write(report[1], &me, sizeof(me));
    return lm::Status::Ok();
  });
  ASSERT_TRUE(status.ok()) << status.message();
  pid_t worker = -1;
  ASSERT_EQ(read(report[0], &worker, sizeof(worker)), static_cast<ssize_t>(sizeof(worker)));
  close(report[0]);
  close(report[1]);
  EXPECT_EQ(kill(worker, 0), -1) << "worker " << worker << " is still there";
  EXPECT_EQ(errno, ESRCH);
}

// A process a step leaves running keeps the step's output pipe open: the
// worker's exit, not the end of that pipe, ends the watch.
TEST_F(SupervisorTest, AProcessAStepLeftRunningDoesNotHoldUpTheAnswer) {
  int report[2];
  ASSERT_EQ(pipe(report), 0);
  const lm::Status status = Run([&](lm::RelayReporter& relay) {
    relay.PlanReady("test", PlanOf({1}), false);
    relay.StepStarted(Step(1), 1, 1);
    const pid_t left = fork();
    if (left == 0) {
      pause();  // with the worker's stdout and stderr
      _exit(0);
    }
    (void)!write(report[1], &left, sizeof(left));
    relay.StepFinished(Step(1), lm::StepOutcome{true, 0, "", ""});
    return lm::Status::Ok();
  });
  pid_t left = -1;
  ASSERT_EQ(read(report[0], &left, sizeof(left)), static_cast<ssize_t>(sizeof(left)));
  kill(left, SIGKILL);
  close(report[0]);
  close(report[1]);
  ASSERT_TRUE(status.ok()) << status.message();
  ASSERT_EQ(reporter_.steps.size(), 1u);
  EXPECT_TRUE(reporter_.steps[0].outcome.has_value());
}

}  // namespace
