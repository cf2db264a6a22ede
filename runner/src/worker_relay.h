// Carries a worker process's reports to its supervisor. The worker's stdout
// and stderr are one pipe to the supervisor: steps print into it, host->log
// writes marked lines into it, and every Reporter call becomes a marked JSON
// line in it. The supervisor replays the stream into the real Reporter and
// learns which step is running.
#ifndef LINK_MIGRATION_RUNNER_WORKER_RELAY_H
#define LINK_MIGRATION_RUNNER_WORKER_RELAY_H

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "catalog.h"
#include "reporter.h"
#include "status.h"

namespace lm {

// Worker side.
class RelayReporter : public Reporter {
 public:
  explicit RelayReporter(int fd) : fd_(fd) {}  // fd: the pipe, normally STDOUT_FILENO

  void Warning(const std::string& message) override;
  void PlanReady(const std::string& store_name, const Plan& plan, bool dry_run) override;
  void StepStarted(const PlannedStep& step, size_t index, size_t count) override;
  void StepLine(LineKind kind, const std::string& line) override;
  void StepFinished(const PlannedStep& step, const StepOutcome& outcome) override;
  // The worker's last word; without it the supervisor knows the worker died.
  void Finished(const Status& status);

 private:
  void Send(const std::string& json_line);
  int fd_;
};

// Supervisor side: replays one line; keeps track of the step in progress and
// of the worker's final status.
class RelayReplayer {
 public:
  RelayReplayer(const Catalog& catalog, Reporter& reporter) : catalog_(catalog), reporter_(reporter) {}

  // One line of the stream, without its newline.
  void Replay(const std::string& line);

  const std::optional<PlannedStep>& running_step() const { return running_; }
  const std::optional<Status>& final_status() const { return final_; }

 private:
  void ReplayReport(const std::string& text);
  PlannedStep StepFrom(const nlohmann::json& raw) const;

  const Catalog& catalog_;
  Reporter& reporter_;
  // The supervisor never loads plugins: the worker sends the texts it read
  // from them, kept here in copies of the catalog's entries.
  std::map<int64_t, Migration> described_;
  Plan plan_;  // owns the steps handed to reporter_
  std::optional<PlannedStep> running_;
  std::optional<Status> final_;
};

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_WORKER_RELAY_H
