// What the engine tells the user while it works. The CLI prints it for
// humans; tests record it.
#ifndef LINK_MIGRATION_RUNNER_REPORTER_H
#define LINK_MIGRATION_RUNNER_REPORTER_H

#include <cstddef>
#include <cstdint>
#include <string>

#include "plan/plan.h"

namespace lm {

enum class LineKind { kOutput, kDebug, kInfo, kWarning, kError };

struct StepOutcome {
  bool ok = false;
  int64_t duration_ms = 0;
  std::string error;           // when !ok
  std::string changelog_path;  // when the step wrote one
};

class Reporter {
 public:
  virtual ~Reporter() = default;
  virtual void Warning(const std::string& message) = 0;
  virtual void PlanReady(const std::string& store_name, const Plan& plan, bool dry_run) = 0;
  virtual void StepStarted(const PlannedStep& step, size_t index, size_t count) = 0;
  // A line the step logged or printed, in the order it happened.
  virtual void StepLine(LineKind kind, const std::string& line) = 0;
  virtual void StepFinished(const PlannedStep& step, const StepOutcome& outcome) = 0;
};

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_REPORTER_H
