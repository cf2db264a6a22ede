// The supervisor (supervisor.h): a worker's reports reach the reporter whole
// and in order, whether the supervisor reads them in batches (sleeping on the
// worker's exit) or wakes for each one; a worker that dies or hangs mid-step
// is named by that step, and its death recorded.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "catalog.h"
#include "engine_fixture.h"
#include "supervisor.h"

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

INSTANTIATE_TEST_SUITE_P(Reading, SupervisorTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return std::string(info.param ? "EveryReport" : "InBatches");
                         });

}  // namespace
