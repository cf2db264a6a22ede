// Reports for machines: the whole run as one JSON document on stdout, written
// when the run ends (docs/cli.md, "JSON output").
#ifndef LINK_MIGRATION_RUNNER_JSON_REPORTER_H
#define LINK_MIGRATION_RUNNER_JSON_REPORTER_H

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/cli_io.h"
#include "run/reporter.h"
#include "base/status.h"

namespace lm {

class JsonReporter : public Reporter {
 public:
  void Warning(const std::string& message) override;
  void PlanReady(const std::string& store_name, const Plan& plan, bool dry_run) override;
  void StepStarted(const PlannedStep& step, size_t index, size_t count) override;
  void StepLine(LineKind kind, const std::string& line) override;
  void StepFinished(const PlannedStep& step, const StepOutcome& outcome) override;

  // Writes the document, with the run's final status.
  void Finish(const Status& status, std::FILE* out);

 private:
  nlohmann::json document_ = nlohmann::json::object();
  nlohmann::json* running_ = nullptr;  // the step being run, inside document_
};

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_JSON_REPORTER_H
