// Reports for people: a progress line per step ("[2/5] applying 12
// add_index ... 34 ms"), the step's output indented beneath, and a final
// line. On a terminal the running step's line counts its elapsed time live;
// in a pipe or a file the step's line is written whole when it starts, and
// "done in 34 ms" beneath it when it ends.
#ifndef LINK_MIGRATION_RUNNER_HUMAN_REPORTER_H
#define LINK_MIGRATION_RUNNER_HUMAN_REPORTER_H

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

#include "cli/palette.h"
#include "run/reporter.h"
#include "base/status.h"

namespace lm {

// quiet: errors (on stderr) and the final line only. verbose: also the plan
// before it runs, each step's description and its debug lines.
enum class Verbosity { kQuiet, kNormal, kVerbose };

struct HumanStyle {
  Verbosity verbosity = Verbosity::kNormal;
  Palette palette;    // for `out`
  bool live = false;  // `out` is a terminal: redraw the running step's line
};

class HumanReporter : public Reporter {
 public:
  // out and err must not be the descriptors a step's output is captured
  // from: the CLI hands in duplicates made before any step runs.
  HumanReporter(std::FILE* out, std::FILE* err, HumanStyle style = {});
  ~HumanReporter() override;
  HumanReporter(const HumanReporter&) = delete;
  HumanReporter& operator=(const HumanReporter&) = delete;

  void Warning(const std::string& message) override;
  void PlanReady(const std::string& store_name, const Plan& plan, bool dry_run) override;
  void StepStarted(const PlannedStep& step, size_t index, size_t count) override;
  void StepLine(LineKind kind, const std::string& line) override;
  void StepFinished(const PlannedStep& step, const StepOutcome& outcome) override;

  // The run's final line, once the engine returns: where the store ended,
  // or at which step the run stopped. Nothing for a dry run or an empty plan
  // (their output already ends the run).
  void Finish(const Status& status);

  Verbosity verbosity() const { return style_.verbosity; }

 private:
  // Each REQUIRES mutex_ held.
  void Permanent(const std::string& text);  // a whole line, above the live one
  void CloseHeading();
  void DrawLive();
  void Tick();

  std::FILE* out_;
  std::FILE* err_;
  HumanStyle style_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::thread ticker_;  // redraws the live line; only on a terminal, from the first step
  bool stopping_ = false;

  // The run.
  std::string store_;
  bool planned_ = false;
  bool dry_run_ = false;
  size_t total_ = 0;
  size_t finished_ = 0;
  int64_t final_version_ = 0;
  std::chrono::steady_clock::time_point run_started_;
  // The running step: its heading, and whether that is still the open line
  // (nothing was printed under it yet).
  bool running_ = false;
  std::string heading_;
  bool heading_open_ = false;
  std::chrono::steady_clock::time_point step_started_;
};

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_HUMAN_REPORTER_H
