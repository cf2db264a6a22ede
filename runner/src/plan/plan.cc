#include "plan/plan.h"

#include <algorithm>
#include <map>

namespace lm {
namespace {

std::string Describe(int64_t version, const Migration* migration) {
  std::string text = "version " + std::to_string(version);
  if (migration) text += " (" + migration->name + ")";
  return text;
}

Status RefuseInterrupted(const Record& record, const Catalog& catalog) {
  const std::string who = record.applied_by.empty() ? "" : " by " + record.applied_by;
  const std::string when = record.applied_at.empty() ? "" : " at " + record.applied_at;
  const std::string what = record.state == VersionState::kRunning
                               ? " was left running" + who + when + " (the run died mid-step)"
                               : " failed part-way without a transaction" + who + when +
                                     (record.error.empty() ? "" : ": " + record.error);
  const std::string version = std::to_string(record.version);
  return Status::Error(ErrorKind::kNeedsRepair,
                       Describe(record.version, catalog.Find(record.version)) + what +
                           "; inspect the target, then run 'mark-applied " + version + "' or 'mark-pending " +
                           version + "'");
}

Status CheckRevertible(int64_t version, const Catalog& catalog) {
  const Migration* migration = catalog.Find(version);
  if (migration == nullptr)
    return Status::Error(ErrorKind::kPlanRefused, "version " + std::to_string(version) +
                                                      " is applied but no migration plugin provides it: cannot revert it");
  if (!migration->reversible())
    return Status::Error(ErrorKind::kPlanRefused,
                         Describe(version, migration) + " is irreversible (it has no down step): cannot go below it");
  return Status::Ok();
}

}  // namespace

const char* DirectionName(Direction direction) { return direction == Direction::kUp ? "up" : "down"; }

int64_t CurrentVersion(const std::vector<Record>& records) {
  int64_t current = 0;
  for (const Record& record : records)
    if (record.state == VersionState::kApplied) current = std::max(current, record.version);
  return current;
}

Status MakePlan(const Catalog& catalog, const std::vector<Record>& records, const MigrateRequest& request,
                Plan* plan) {
  *plan = Plan{};
  // Sorted vectors, not a set: nothing pending plans over every record.
  std::vector<int64_t> applied;
  std::map<int64_t, int32_t> failed_attempts;
  applied.reserve(records.size());
  for (const Record& record : records) {
    switch (record.state) {
      case VersionState::kApplied:
        applied.push_back(record.version);
        break;
      case VersionState::kFailedRolledBack:
        failed_attempts[record.version] = record.attempts;
        break;
      case VersionState::kRunning:
      case VersionState::kFailedPartial:
        return RefuseInterrupted(record, catalog);
    }
  }
  if (!std::is_sorted(applied.begin(), applied.end())) std::sort(applied.begin(), applied.end());
  applied.erase(std::unique(applied.begin(), applied.end()), applied.end());
  auto is_applied = [&applied](int64_t version) { return std::binary_search(applied.begin(), applied.end(), version); };
  plan->current_version = applied.empty() ? 0 : applied.back();

  std::vector<int64_t> reverts;  // newest first
  std::vector<int64_t> applies;  // oldest first
  switch (request.mode) {
    case MigrateRequest::Mode::kUp:
      for (const Migration& migration : catalog.migrations())
        if (!is_applied(migration.version)) applies.push_back(migration.version);
      break;
    case MigrateRequest::Mode::kDown:
      reverts.assign(applied.rbegin(), applied.rend());
      break;
    case MigrateRequest::Mode::kTo: {
      const int64_t target = request.target;
      if (target < 0)
        return Status::Error(ErrorKind::kPlanRefused, "target version " + std::to_string(target) + " is negative");
      if (target != 0 && catalog.Find(target) == nullptr && !is_applied(target))
        return Status::Error(ErrorKind::kPlanRefused,
                             "unknown target version " + std::to_string(target) + ": no migration has it (latest is " +
                                 std::to_string(catalog.LatestVersion()) + ")");
      for (auto it = applied.rbegin(); it != applied.rend() && *it > target; ++it) reverts.push_back(*it);
      for (const Migration& migration : catalog.migrations())
        if (migration.version <= target && !is_applied(migration.version)) applies.push_back(migration.version);
      break;
    }
  }
  if (request.max_steps) {
    const auto limit = static_cast<size_t>(std::max<int64_t>(0, *request.max_steps));
    if (reverts.size() > limit) reverts.resize(limit);
    if (applies.size() > limit) applies.resize(limit);
  }

  for (int64_t version : reverts) {
    LM_RETURN_IF_ERROR(CheckRevertible(version, catalog));
    plan->steps.push_back({catalog.Find(version), Direction::kDown, 0});
  }
  for (int64_t version : applies) {
    auto attempts = failed_attempts.find(version);
    plan->steps.push_back(
        {catalog.Find(version), Direction::kUp, attempts == failed_attempts.end() ? 0 : attempts->second});
  }
  // The reverts are the newest applied versions, and the applies ascend.
  const size_t kept = applied.size() - reverts.size();
  plan->final_version = std::max(kept == 0 ? 0 : applied[kept - 1], applies.empty() ? 0 : applies.back());
  return Status::Ok();
}

}  // namespace lm
