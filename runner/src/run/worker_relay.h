// Carries a worker process's reports to its supervisor, on a pipe of their
// own. A step's stdout and stderr go to a file in memory instead, read as
// plain output: nothing a step prints can be taken for a report. Every
// Reporter call, each line a step logs through host->log, and the plugin
// file being loaded become one report line each (relay_format.h), written
// when they happen. Before each report the worker says how far the output
// file reached, so the supervisor shows what a step printed exactly where it
// was printed among the reports. The supervisor replays the reports into the
// real Reporter and learns from them what the worker is doing, to say what
// it was doing if it dies.
#ifndef LINK_MIGRATION_RUNNER_WORKER_RELAY_H
#define LINK_MIGRATION_RUNNER_WORKER_RELAY_H

#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "catalog/catalog.h"
#include "base/relay_format.h"
#include "run/reporter.h"

namespace lm {

// Worker side.
class RelayReporter : public Reporter {
 public:
  // report_fd: the report pipe's write end. output_fd: the file the steps'
  // stdout and stderr are appended to (-1: none).
  RelayReporter(int report_fd, int output_fd) : fd_(report_fd), output_fd_(output_fd) {}

  void Warning(const std::string& message) override;
  void PlanReady(const std::string& store_name, const Plan& plan, bool dry_run) override;
  void StepStarted(const PlannedStep& step, size_t index, size_t count) override;
  void StepLine(LineKind kind, const std::string& line) override;
  void StepFinished(const PlannedStep& step, const StepOutcome& outcome) override;
  // The plugin `file` starts loading: if the worker dies before the next
  // report, its static initialisers killed it.
  void Loading(const std::string& file);
  // The worker's last word; without it the supervisor knows the worker died.
  void Finished(const Status& status);

 private:
  // Writes the report built in writer_, after what the steps left in stdio
  // buffers and, when the output file grew, where it now ends.
  void Send();
  void Write(const std::string& text);
  int fd_;
  int output_fd_;
  uint64_t output_told_ = 0;  // where the output file ended at the last report
  relay::MessageWriter writer_;
};

// What the worker was doing when its reports stopped.
enum class WorkerPhase {
  kPreparing,  // opening the store, taking the lock, planning
  kLoading,    // loading a plugin file (loading_file())
  kReady,      // plan sent; between steps
  kInStep,     // running_step()
  kFinished,   // final_status()
};

// Supervisor side: replays one report line; keeps track of the worker's
// phase and of its final status.
class RelayReplayer {
 public:
  // output_fd: the steps' output file (-1: none), read from here up to where
  // the worker's reports say it reached.
  RelayReplayer(const Catalog& catalog, Reporter& reporter, int output_fd = -1)
      : catalog_(catalog), reporter_(reporter), output_fd_(output_fd) {}

  // One line of the report pipe, without its newline. A malformed report is
  // dropped: the worker's exit still decides.
  void Replay(std::string_view line);
  // Shows the output file's bytes from where it was shown up to `end`.
  void ShowOutputUpTo(uint64_t end);
  uint64_t output_shown() const { return output_shown_; }
  // Bytes a step printed: whole lines go to the reporter, the rest waits
  // for its end.
  void Output(std::string_view bytes);
  // Ends a line of output left without its newline (before a report, and at
  // the end).
  void EndOutputLine();

  WorkerPhase phase() const { return phase_; }
  const std::string& loading_file() const { return loading_file_; }
  const std::optional<PlannedStep>& running_step() const { return running_; }
  // How many steps have started so far.
  uint64_t starts() const { return starts_; }
  const std::optional<Status>& final_status() const { return final_; }

 private:
  void ReplayPlan(relay::MessageReader& message);
  // Reads a step's version, direction and attempts; false if malformed or
  // not a version of the plan.
  bool ReadStep(relay::MessageReader& message, PlannedStep* step) const;

  const Catalog& catalog_;
  Reporter& reporter_;
  // The supervisor never loads plugins: the worker sends the texts it read
  // from them with the plan, kept here in copies of the catalog's entries.
  std::vector<Migration> described_;
  std::string text_;  // a field being read, its buffer reused
  relay::LineSplitter output_;
  int output_fd_;
  uint64_t output_shown_ = 0;
  uint64_t output_released_ = 0;  // the file's memory up to here is given back
  Plan plan_;         // owns the steps handed to reporter_
  WorkerPhase phase_ = WorkerPhase::kPreparing;
  std::string loading_file_;
  std::optional<PlannedStep> running_;
  uint64_t starts_ = 0;
  std::optional<Status> final_;
};

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_WORKER_RELAY_H
