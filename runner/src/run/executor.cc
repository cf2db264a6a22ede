#include "run/executor.h"

#include <link_migration/store.h>

#include <fcntl.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <vector>

namespace lm {
namespace {

std::string StepName(const PlannedStep& step) {
  return "version " + std::to_string(step.migration->version) + " (" + step.migration->name + ")";
}

// Ends a transaction that the store failed to record into or to commit, and
// says whether nothing of it stayed. A transaction that was open before
// those calls and is gone after them was rolled back by the database (SQLite
// ends so a COMMIT that failed on a full disk): there is nothing to roll
// back, and a ROLLBACK would fail. Otherwise only a rollback that worked
// says so, which is all a store built before in_transaction can tell.
bool EndFailedTransaction(VersionStore& store, bool open_before) {
  if (open_before && store.TransactionOpen() == false) return true;
  return store.Rollback().ok();
}

// A changelog of work that was rolled back describes changes that never
// happened. It is kept for whoever looks into the failure, under a name that
// says so (<name>_rolled-back.csv, never replacing a file), and `path`
// follows it. Returns what the history says of the changelogs.
std::string SetAsideRolledBack(const std::vector<std::string*>& paths) {
  std::string said;
  for (std::string* path : paths) {
    if (path->empty()) continue;
    const std::filesystem::path from(*path);
    const std::filesystem::path to =
        from.parent_path() / (from.stem().string() + "_rolled-back" + from.extension().string());
    said += said.empty() ? "" : ", ";
    if (renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
      *path = to.string();
      said += to.string();
    } else {
      said += from.string() + " (could not be renamed: " + std::strerror(errno) + ")";
    }
  }
  return said.empty() ? said : "; changelog of the rolled-back work set aside: " + said;
}

}  // namespace

Status Executor::Run(const Plan& plan) {
  if (group_) return RunGroup(plan);
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    reporter_.StepStarted(plan.steps[i], i + 1, plan.steps.size());
    LM_RETURN_IF_ERROR(RunStep(plan.steps[i]));
  }
  return Status::Ok();
}

// All steps in one store transaction: a fresh deploy costs one commit, and a
// failure anywhere leaves nothing of the run applied.
Status Executor::RunGroup(const Plan& plan) {
  if (!store_.capabilities().transactions)
    return Status::Error(ErrorKind::kPlanRefused, "group mode needs a store with transactions; '" + store_.name() +
                                                      "' has none");
  for (const PlannedStep& step : plan.steps) {
    if (!step.migration->transactional())
      return Status::Error(ErrorKind::kPlanRefused, StepName(step) +
                                                        " must not run inside a transaction, so it cannot be part of "
                                                        "a group run; run without --group");
  }
  LM_RETURN_IF_ERROR(store_.Begin());
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    const PlannedStep& step = plan.steps[i];
    reporter_.StepStarted(step, i + 1, plan.steps.size());
    Status status = RunStep(step);
    if (status.ok()) continue;
    const bool rolled_back = EndFailedTransaction(store_, last_open_before_recording_);
    std::string set_aside;
    if (rolled_back) {
      std::vector<std::string*> changelogs;
      for (std::string& path : group_changelogs_) changelogs.push_back(&path);
      changelogs.push_back(&last_outcome_.changelog_path);
      set_aside = SetAsideRolledBack(changelogs);
    }
    reporter_.Warning("group mode: the whole run was rolled back; none of its " + std::to_string(plan.steps.size()) +
                      " steps stays applied" + set_aside);
    Status recorded = RecordFailure(step, rolled_back, last_outcome_, set_aside);
    std::string message = status.message() + "; the whole group was rolled back";
    if (!recorded.ok()) message += " (and the failure could not be recorded: " + recorded.message() + ")";
    return Status::Error(status.kind(), message);
  }
  const bool open_before_commit = store_.TransactionOpen() == true;
  Status committed = store_.Commit();
  if (committed.ok()) return committed;
  const bool rolled_back = EndFailedTransaction(store_, open_before_commit);
  if (!rolled_back)
    return Status::Error(committed.kind(), committed.message() + "; the group may be partly applied: check status");
  // The history's events went with the transaction: the message says it.
  std::vector<std::string*> changelogs;
  for (std::string& path : group_changelogs_) changelogs.push_back(&path);
  return Status::Error(committed.kind(),
                       committed.message() + "; the whole group was rolled back" + SetAsideRolledBack(changelogs));
}

Record NewRecord(const PlannedStep& step, VersionState state, const RunIdentity& identity, const Environment& env) {
  Record record;
  record.version = step.migration->version;
  record.state = state;
  record.name = step.migration->name;
  record.checksum = step.migration->checksum;
  record.applied_at = FormatUtc(env.Now());
  record.applied_by = identity.applied_by;
  record.runner_version = identity.runner_version;
  record.attempts = step.previous_attempts + (step.direction == Direction::kUp ? 1 : 0);
  record.run_id = identity.run_id;
  return record;
}

Event NewEvent(const PlannedStep& step, const char* kind, int64_t duration_ms, std::string detail,
               const RunIdentity& identity, const Environment& env) {
  return Event{step.migration->version, kind,        step.migration->name, FormatUtc(env.Now()),
               identity.applied_by,     duration_ms, std::move(detail),    identity.run_id};
}

// In group mode the step runs inside the run's transaction, and a failure
// is left to RunGroup to roll back and record.
Status Executor::RunStep(const PlannedStep& step) {
  const StoreCapabilities caps = store_.capabilities();
  const bool transaction = !group_ && caps.transactions && step.migration->transactional();
  if (transaction) {
    LM_RETURN_IF_ERROR(store_.Begin());
  } else if (!group_ && caps.full_records) {
    // Without a transaction a crash mid-step must leave a trace that says so.
    LM_RETURN_IF_ERROR(store_.PutRecord(MakeRecord(step, VersionState::kRunning)));
  }

  lm_context context(settings_, *step.migration, step.direction, store_, transaction || group_, reporter_);
  context.changelog_path =
      ChangelogPath(settings_, *step.migration, step.direction, identity_.run_id, step.previous_attempts + 1);
  const auto started = std::chrono::steady_clock::now();
  const lm_result result = context.Run();
  // What the step printed goes ahead of what is reported about it.
  std::cout.flush();
  std::fflush(nullptr);
  StepOutcome outcome;
  outcome.ok = result == LM_OK;
  outcome.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  outcome.error = context.error;
  if (context.changelog_created) outcome.changelog_path = context.changelog_path.string();

  // Asked before the runner's own writes: a transaction gone after them was
  // ended by the store, not by the step (through the native handle).
  const bool open_before_recording = outcome.ok && (transaction || group_) && store_.TransactionOpen() == true;
  if (outcome.ok) {
    Status recorded = RecordSuccess(step, outcome);
    if (recorded.ok() && transaction) recorded = store_.Commit();
    if (recorded.ok()) {
      reporter_.StepFinished(step, outcome);
      if (group_ && !outcome.changelog_path.empty()) group_changelogs_.push_back(outcome.changelog_path);
      return Status::Ok();
    }
    outcome.ok = false;
    outcome.error = "the step ran but could not be recorded: " + recorded.message();
  }
  const std::string failure = StepName(step) + " failed during " + DirectionName(step.direction) + ": " + outcome.error;
  if (group_) {
    reporter_.StepFinished(step, outcome);
    last_outcome_ = outcome;
    last_open_before_recording_ = open_before_recording;
    return Status::Error(ErrorKind::kMigrationFailed, failure);
  }

  const bool rolled_back = transaction && EndFailedTransaction(store_, open_before_recording);
  // Not rolled back (no transaction), the changelog may describe what stayed: it stays.
  const std::string set_aside = rolled_back ? SetAsideRolledBack({&outcome.changelog_path}) : "";
  reporter_.StepFinished(step, outcome);
  Status recorded = RecordFailure(step, rolled_back, outcome, set_aside);
  std::string message = failure;
  if (!recorded.ok()) message += " (and the failure could not be recorded: " + recorded.message() + ")";
  return Status::Error(ErrorKind::kMigrationFailed, message);
}

// The event goes first: on a store without transactions the two are separate
// writes, and a run killed between them must leave the history saying the
// step finished (the record still says running, so the next run stops for a
// human), never an applied record the history knows nothing of.
Status Executor::RecordSuccess(const PlannedStep& step, const StepOutcome& outcome) {
  const std::string detail = outcome.changelog_path.empty() ? "" : "changelog " + outcome.changelog_path;
  if (step.direction == Direction::kUp) {
    LM_RETURN_IF_ERROR(store_.AppendEvent(MakeEvent(step, LM_EVENT_APPLY, outcome.duration_ms, detail)));
    Record record = MakeRecord(step, VersionState::kApplied);
    record.duration_ms = outcome.duration_ms;
    record.changelog_path = outcome.changelog_path;
    return store_.PutRecord(record);
  }
  LM_RETURN_IF_ERROR(store_.AppendEvent(MakeEvent(step, LM_EVENT_REVERT, outcome.duration_ms, detail)));
  return store_.DeleteRecord(step.migration->version);
}

// Event first, as in RecordSuccess.
Status Executor::RecordFailure(const PlannedStep& step, bool rolled_back, const StepOutcome& outcome,
                               const std::string& set_aside) {
  if (!store_.capabilities().full_records) return Status::Ok();
  std::string detail = std::string(DirectionName(step.direction)) + ": " + outcome.error +
                       (rolled_back ? " (rolled back)" : " (not rolled back)") + set_aside;
  LM_RETURN_IF_ERROR(store_.AppendEvent(MakeEvent(step, LM_EVENT_FAIL, outcome.duration_ms, detail)));
  // A reverted step that rolled back leaves the version applied, as it was.
  if (rolled_back && step.direction == Direction::kDown) return Status::Ok();
  Record record = MakeRecord(step, rolled_back ? VersionState::kFailedRolledBack : VersionState::kFailedPartial);
  record.duration_ms = outcome.duration_ms;
  record.error = outcome.error;
  record.changelog_path = outcome.changelog_path;
  return store_.PutRecord(record);
}

}  // namespace lm
