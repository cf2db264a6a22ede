// Runs a plan's steps one by one and records each in the version store.
#ifndef LINK_MIGRATION_RUNNER_EXECUTOR_H
#define LINK_MIGRATION_RUNNER_EXECUTOR_H

#include <string>
#include <vector>

#include "base/environment.h"
#include "plan/plan.h"
#include "run/reporter.h"
#include "base/status.h"
#include "run/step_context.h"
#include "store/version_store.h"

namespace lm {

struct RunIdentity {
  std::string applied_by;  // user@host
  std::string run_id;
  std::string runner_version;
};

// A record / event for `step` as this run writes it.
Record NewRecord(const PlannedStep& step, VersionState state, const RunIdentity& identity, const Environment& env);
Event NewEvent(const PlannedStep& step, const char* kind, int64_t duration_ms, std::string detail,
               const RunIdentity& identity, const Environment& env);

class Executor {
 public:
  // group: every step in one store transaction (all or nothing).
  // REQUIRES: every step's plugin is loaded (Catalog::LoadFile).
  Executor(VersionStore& store, const StepSettings& settings, const RunIdentity& identity,
           const Environment& environment, Reporter& reporter, bool group = false)
      : store_(store), settings_(settings), identity_(identity), environment_(environment), reporter_(reporter),
        group_(group) {}

  // Each step runs, then is recorded; on a transactional store the step's
  // work and its record commit together (unless the migration forbids a
  // transaction). The first failure is rolled back where possible, recorded,
  // and ends the run with kind kMigrationFailed; earlier steps stay applied.
  Status Run(const Plan& plan);

 private:
  Status RunStep(const PlannedStep& step);
  Status RunGroup(const Plan& plan);
  Record MakeRecord(const PlannedStep& step, VersionState state) const {
    return NewRecord(step, state, identity_, environment_);
  }
  Event MakeEvent(const PlannedStep& step, const char* kind, int64_t duration_ms, std::string detail) const {
    return NewEvent(step, kind, duration_ms, std::move(detail), identity_, environment_);
  }
  Status RecordSuccess(const PlannedStep& step, const StepOutcome& outcome);
  // set_aside: what SetAsideRolledBack said of the changelogs, for the fail event.
  Status RecordFailure(const PlannedStep& step, bool rolled_back, const StepOutcome& outcome,
                       const std::string& set_aside);

  VersionStore& store_;
  const StepSettings& settings_;
  const RunIdentity& identity_;
  const Environment& environment_;
  Reporter& reporter_;
  bool group_;
  StepOutcome last_outcome_;  // of the step that failed, in group mode
  // The changelogs of the steps a group run finished: set aside if the run is rolled back.
  std::vector<std::string> group_changelogs_;
  // Whether the run's transaction was open when that step's recording began.
  bool last_open_before_recording_ = false;
};

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_EXECUTOR_H
