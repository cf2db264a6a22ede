// Carries a worker process's reports to its supervisor. The worker's stdout
// and stderr are one pipe to the supervisor: steps print into it, host->log
// writes marked lines into it, and every Reporter call becomes a marked JSON
// line in it (relay_format.h). The supervisor replays the stream into the
// real Reporter and learns which step is running.
#ifndef LINK_MIGRATION_RUNNER_WORKER_RELAY_H
#define LINK_MIGRATION_RUNNER_WORKER_RELAY_H

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "run/relay_format.h"
#include "run/reporter.h"
#include "base/status.h"

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
  // Writes the message built in writer_, after a held one.
  void Send();
  // Writes whatever a step left in stdio buffers, which goes first.
  static void FlushStdio();
  int fd_;
  relay::MessageWriter writer_;
  // The report of a step that succeeded with another step to follow, held
  // to go out in one write with that step's start: the executor starts the
  // next step right away, so the supervisor learns nothing later that
  // matters (and a death in between is still judged by the store's records),
  // while a write and a wake-up of the supervisor per step are saved.
  std::string held_;
  // Per step of the plan: whether its plugin had loaded when the plan was
  // sent, and so its description and notes went with it. The others go
  // with their step's start (AheadLoader loads them meanwhile).
  std::vector<bool> described_in_plan_;
  size_t started_index_ = 0;  // of the step started last
  size_t started_count_ = 0;
};

// Supervisor side: replays one line; keeps track of the step in progress and
// of the worker's final status.
class RelayReplayer {
 public:
  RelayReplayer(const Catalog& catalog, Reporter& reporter) : catalog_(catalog), reporter_(reporter) {}

  // One line of the stream, without its newline.
  void Replay(std::string_view line);

  const std::optional<PlannedStep>& running_step() const { return running_; }
  // How many steps have started so far.
  uint64_t starts() const { return starts_; }
  const std::optional<Status>& final_status() const { return final_; }

 private:
  // A malformed report is dropped; the worker's exit status still decides.
  void ReplayReport(std::string_view payload);
  void ReplayPlan(relay::MessageReader& message);
  // A step's description and notes, sent when its plugin loaded after the plan.
  void ReplayDescription(relay::MessageReader& message);
  // Reads a step's version (also into version_read, unless NULL), direction
  // and attempts; false if malformed.
  bool ReadStep(relay::MessageReader& message, PlannedStep* step, int64_t* version_read = nullptr) const;

  const Catalog& catalog_;
  Reporter& reporter_;
  // The supervisor never loads plugins: the worker sends the texts it read
  // from them, kept here in copies of the catalog's entries (only where they
  // differ from the catalog's).
  std::map<int64_t, Migration> described_;
  std::string text_;  // a field being read, its buffer reused
  Plan plan_;  // owns the steps handed to reporter_
  bool planned_ = false;  // plan_ came from the worker's one plan report
  std::optional<PlannedStep> running_;
  uint64_t starts_ = 0;
  std::optional<Status> final_;
};

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_WORKER_RELAY_H
