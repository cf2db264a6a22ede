// Reports for people: a heading per step, its output indented beneath.
#ifndef LINK_MIGRATION_RUNNER_HUMAN_REPORTER_H
#define LINK_MIGRATION_RUNNER_HUMAN_REPORTER_H

#include <cstdio>

#include "reporter.h"

namespace lm {

class HumanReporter : public Reporter {
 public:
  // out and err must not be the descriptors a step's output is captured
  // from: the CLI hands in duplicates made before any step runs.
  HumanReporter(std::FILE* out, std::FILE* err) : out_(out), err_(err) {}

  void Warning(const std::string& message) override;
  void PlanReady(const std::string& store_name, const Plan& plan, bool dry_run) override;
  void StepStarted(const PlannedStep& step, size_t index, size_t count) override;
  void StepLine(LineKind kind, const std::string& line) override;
  void StepFinished(const PlannedStep& step, const StepOutcome& outcome) override;

 private:
  std::FILE* out_;
  std::FILE* err_;
};

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_HUMAN_REPORTER_H
