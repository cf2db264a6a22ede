// The engine tests' fixture: a fresh folder per test holding conf.json and
// the migration plugins the test copies in (PluginFolderTest), a pinned
// Environment, and a Reporter that records everything the engine tells the
// user.
#ifndef LM_TESTS_RUNNER_ENGINE_FIXTURE_H
#define LM_TESTS_RUNNER_ENGINE_FIXTURE_H

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <initializer_list>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "run/engine.h"
#include "plugin_folder_test.h"
#include "run/reporter.h"
#include "test_plugins.h"

namespace lm_test {

using nlohmann::json;

// What a step reported, copied out of the engine's structures.
struct RecordedStep {
  int64_t version = 0;
  std::string direction;  // "up" / "down"
  std::vector<std::pair<lm::LineKind, std::string>> lines;
  std::optional<lm::StepOutcome> outcome;
};

class RecordingReporter : public lm::Reporter {
 public:
  void Warning(const std::string& message) override { warnings.push_back(message); }
  void PlanReady(const std::string& store, const lm::Plan& plan, bool dry) override {
    store_name = store;
    plan_current = plan.current_version;
    plan_final = plan.final_version;
    planned.clear();
    for (const lm::PlannedStep& step : plan.steps) planned.push_back(Heading(step));
    dry_run = dry;
  }
  void StepStarted(const lm::PlannedStep& step, size_t, size_t) override {
    steps.push_back({step.migration->version, lm::DirectionName(step.direction), {}, std::nullopt});
  }
  // A line printed before any step (a plugin's static initialiser) has no step to go with.
  void StepLine(lm::LineKind kind, const std::string& line) override {
    (steps.empty() ? lines_before_steps : steps.back().lines).emplace_back(kind, line);
  }
  void StepFinished(const lm::PlannedStep&, const lm::StepOutcome& outcome) override { steps.back().outcome = outcome; }

  static std::string Heading(const lm::PlannedStep& step) {
    return std::string(lm::DirectionName(step.direction)) + " " + std::to_string(step.migration->version);
  }
  // "up 1", "down 2", ... in the order the steps started.
  std::vector<std::string> Started() const {
    std::vector<std::string> headings;
    for (const RecordedStep& step : steps) headings.push_back(step.direction + " " + std::to_string(step.version));
    return headings;
  }
  // The lines of the step for `version`, as "<kind>: <text>".
  std::vector<std::string> LinesOf(int64_t version) const;

  std::vector<std::string> warnings;
  std::optional<std::string> store_name;  // set once a plan was made
  int64_t plan_current = -1;
  int64_t plan_final = -1;
  std::vector<std::string> planned;
  bool dry_run = false;
  std::vector<RecordedStep> steps;
  std::vector<std::pair<lm::LineKind, std::string>> lines_before_steps;
};

inline std::vector<std::string> RecordingReporter::LinesOf(int64_t version) const {
  static const char* const kKinds[] = {"output", "debug", "info", "warning", "error"};
  std::vector<std::string> lines;
  for (const RecordedStep& step : steps) {
    if (step.version != version) continue;
    for (const auto& [kind, text] : step.lines) lines.push_back(std::string(kKinds[static_cast<int>(kind)]) + ": " + text);
  }
  return lines;
}

// Who runs, and when, pinned so records can be compared exactly.
class FixedEnvironment : public lm::Environment {
 public:
  std::string User() const override { return "tester"; }
  std::string Host() const override { return "testhost"; }
  int64_t Pid() const override { return 4242; }
  std::chrono::system_clock::time_point Now() const override {
    // 2026-01-02T03:04:05.678Z
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(1767323045678));
  }
};

inline constexpr const char* kPinnedTime = "2026-01-02T03:04:05.678Z";
inline constexpr const char* kPinnedCompactTime = "20260102T030405Z";

inline lm::MigrateRequest Up(std::optional<int64_t> max_steps = std::nullopt) {
  lm::MigrateRequest request;
  request.mode = lm::MigrateRequest::Mode::kUp;
  request.max_steps = max_steps;
  return request;
}
inline lm::MigrateRequest Down(std::optional<int64_t> max_steps = std::nullopt) {
  lm::MigrateRequest request = Up(max_steps);
  request.mode = lm::MigrateRequest::Mode::kDown;
  return request;
}
inline lm::MigrateRequest To(int64_t target) {
  lm::MigrateRequest request;
  request.mode = lm::MigrateRequest::Mode::kTo;
  request.target = target;
  return request;
}
inline lm::MigrateRequest DryRun(lm::MigrateRequest request) {
  request.dry_run = true;
  return request;
}

class EngineTest : public PluginFolderTest {
 protected:
  // A fresh engine on conf.json, as one invocation of the CLI would make.
  lm::Status Open() {
    lm::EngineOptions options;
    options.config_file = ConfigFile();
    options.builtin_store_dir = kStoreDir;
    options.environment = &environment_;
    engine_.reset();
    return lm::Engine::Open(options, &engine_);
  }

  // Opens a fresh engine and runs one migrate; the reporter starts empty.
  lm::Status Run(const lm::MigrateRequest& request) {
    reporter_ = RecordingReporter();
    lm::Status opened = Open();
    if (!opened.ok()) return opened;
    return engine_->Migrate(request, reporter_);
  }

  lm::StatusReport Report() {
    lm::StatusReport report;
    lm::Status opened = Open();
    EXPECT_TRUE(opened.ok()) << opened.message();
    if (!opened.ok()) return report;
    lm::Status status = engine_->GetStatus(&report);
    EXPECT_TRUE(status.ok()) << status.message();
    return report;
  }

  // The store's record of `version`, if any.
  std::optional<lm::Record> RecordOf(int64_t version) {
    for (const lm::VersionStatus& line : Report().versions)
      if (line.version == version) return line.record ? std::optional<lm::Record>(*line.record) : std::nullopt;
    return std::nullopt;
  }

  // Versions recorded as applied.
  std::set<int64_t> Applied() {
    std::set<int64_t> versions;
    for (const lm::VersionStatus& line : Report().versions)
      if (line.record && line.record->state == lm::VersionState::kApplied) versions.insert(line.version);
    return versions;
  }

  FixedEnvironment environment_;
  std::unique_ptr<lm::Engine> engine_;
  RecordingReporter reporter_;
};

// ASSERT that a Status is ok, showing its message otherwise.
#define LM_ASSERT_OK(expr)                                    \
  do {                                                        \
    const ::lm::Status lm_test_status_ = (expr);              \
    ASSERT_TRUE(lm_test_status_.ok()) << lm_test_status_.message(); \
  } while (0)

// EXPECT that a Status is ok, showing its message otherwise.
#define LM_EXPECT_OK(expr)                                    \
  do {                                                        \
    const ::lm::Status lm_test_status_ = (expr);              \
    EXPECT_TRUE(lm_test_status_.ok()) << lm_test_status_.message(); \
  } while (0)

}  // namespace lm_test

#endif  // LM_TESTS_RUNNER_ENGINE_FIXTURE_H
