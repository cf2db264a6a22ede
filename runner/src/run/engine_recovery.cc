// Engine commands that change the store's records without running any
// migration: after a human checked the target (mark), to adopt an existing
// target (baseline), or to accept changed sources (repair). Each one leaves
// an event saying who did it and when.
#include <link_migration/store.h>

#include "run/engine.h"

namespace lm {
namespace {

Record AppliedRecord(const Migration& migration, const RunIdentity& identity, const std::string& now) {
  Record record;
  record.version = migration.version;
  record.state = VersionState::kApplied;
  record.name = migration.name;
  record.checksum = migration.checksum;
  record.applied_at = now;
  record.applied_by = identity.applied_by;
  record.runner_version = identity.runner_version;
  record.run_id = identity.run_id;
  return record;
}

}  // namespace

Status Engine::MarkApplied(int64_t version, Reporter& reporter) { return Mark(version, true, reporter); }
Status Engine::MarkPending(int64_t version, Reporter& reporter) { return Mark(version, false, reporter); }

Status Engine::Mark(int64_t version, bool applied, Reporter& reporter) {
  // Removing a record needs no plugin; recording one needs a catalog that can be trusted.
  if (applied) LM_RETURN_IF_ERROR(catalog_.Usable());
  const Migration* migration = catalog_.Find(version);
  if (applied && migration == nullptr)
    return Status::Error(ErrorKind::kPlanRefused,
                         "cannot mark version " + std::to_string(version) + " applied: no migration plugin has it");
  std::unique_ptr<VersionStore> store;
  std::unique_ptr<StoreLock> lock;
  LM_RETURN_IF_ERROR(OpenLocked(reporter, &store, &lock));

  const RunIdentity identity = Identity();
  const std::string now = FormatUtc(options_.environment->Now());
  // The event first, as for a step: on a store without transactions a kill
  // between the two writes must not leave a change the history cannot explain.
  LM_RETURN_IF_ERROR(store->AppendEvent(Event{version, applied ? LM_EVENT_MARK_APPLIED : LM_EVENT_MARK_PENDING,
                                              migration ? migration->name : "", now, identity.applied_by, 0,
                                              "marked by hand", run_id_}));
  if (!applied) return store->DeleteRecord(version);
  Record record = AppliedRecord(*migration, identity, now);
  std::vector<Record> records;
  LM_RETURN_IF_ERROR(store->ListRecords(&records));
  for (const Record& earlier : records)
    if (earlier.version == version) record.attempts = earlier.attempts;  // the attempts stay counted
  return store->PutRecord(record);
}

Status Engine::Baseline(int64_t version, Reporter& reporter) {
  LM_RETURN_IF_ERROR(catalog_.Usable());
  if (catalog_.Find(version) == nullptr)
    return Status::Error(ErrorKind::kPlanRefused,
                         "cannot baseline at version " + std::to_string(version) + ": no migration plugin has it");
  std::unique_ptr<VersionStore> store;
  std::unique_ptr<StoreLock> lock;
  LM_RETURN_IF_ERROR(OpenLocked(reporter, &store, &lock));
  std::vector<Record> records;
  LM_RETURN_IF_ERROR(store->ListRecords(&records));
  if (!records.empty())
    return Status::Error(ErrorKind::kPlanRefused,
                         "cannot baseline: the store already records version " + std::to_string(records.back().version) +
                             "; baseline adopts a target no runner has migrated yet");

  const RunIdentity identity = Identity();
  const std::string now = FormatUtc(options_.environment->Now());
  const bool transaction = store->capabilities().transactions;
  if (transaction) LM_RETURN_IF_ERROR(store->Begin());
  Status written;
  for (const Migration& migration : catalog_.migrations()) {
    if (migration.version > version) break;
    // The event first, as for a step (see Mark).
    written = store->AppendEvent(Event{migration.version, LM_EVENT_BASELINE, migration.name, now, identity.applied_by,
                                       0, "baseline at version " + std::to_string(version), run_id_});
    if (written.ok()) written = store->PutRecord(AppliedRecord(migration, identity, now));
    if (!written.ok()) break;
  }
  if (transaction) {
    if (!written.ok()) {
      (void)store->Rollback();
      return written;
    }
    return store->Commit();
  }
  return written;
}

Status Engine::Repair(Reporter& reporter, std::vector<std::string>* repaired) {
  LM_RETURN_IF_ERROR(catalog_.Usable());
  std::unique_ptr<VersionStore> store;
  std::unique_ptr<StoreLock> lock;
  LM_RETURN_IF_ERROR(OpenLocked(reporter, &store, &lock));
  std::vector<Record> records;
  LM_RETURN_IF_ERROR(store->ListRecords(&records));

  const RunIdentity identity = Identity();
  const std::string now = FormatUtc(options_.environment->Now());
  for (Record& record : records) {
    const Migration* migration = catalog_.Find(record.version);
    // A plugin without a checksum (checksum-missing drift) is accepted too:
    // its record then keeps none, and a later change to it cannot be seen.
    if (record.state != VersionState::kApplied || migration == nullptr || record.checksum == migration->checksum)
      continue;
    auto shown = [](const std::string& checksum) { return checksum.empty() ? std::string("(none)") : checksum; };
    const std::string change = "checksum " + shown(record.checksum) + " -> " + shown(migration->checksum);
    record.checksum = migration->checksum;
    // The event first, as for a step (see Mark): a failure between the two
    // leaves the old checksum, which the next validate reports again.
    LM_RETURN_IF_ERROR(store->AppendEvent(
        Event{record.version, LM_EVENT_REPAIR, migration->name, now, identity.applied_by, 0, change, run_id_}));
    LM_RETURN_IF_ERROR(store->PutRecord(record));
    repaired->push_back("version " + std::to_string(record.version) + " (" + migration->name + "): " + change);
  }
  return Status::Ok();
}

}  // namespace lm
