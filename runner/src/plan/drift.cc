#include "plan/drift.h"

#include <algorithm>
#include <iterator>
#include <filesystem>

namespace lm {
namespace {

std::string Named(int64_t version, const std::string& name) {
  return "version " + std::to_string(version) + (name.empty() ? "" : " (" + name + ")");
}

// "sha256:0123456789ab…": enough to tell two checksums apart in a message.
std::string Short(const std::string& checksum) {
  return checksum.size() > 19 ? checksum.substr(0, 19) + "..." : checksum;
}

std::string FileName(const Migration& migration) {
  return std::filesystem::path(migration.file).filename().string();
}

}  // namespace

const char* DriftKindName(Drift::Kind kind) {
  switch (kind) {
    case Drift::Kind::kChecksumChanged:
      return "checksum-changed";
    case Drift::Kind::kChecksumMissing:
      return "checksum-missing";
    case Drift::Kind::kMissing:
      return "missing";
    case Drift::Kind::kOutOfOrder:
      return "out-of-order";
    case Drift::Kind::kBrokenPlugin:
      return "broken-plugin";
  }
  return "unknown";
}

std::vector<Drift> FindDrift(const Catalog& catalog, const std::vector<Record>& records) {
  std::vector<Drift> drift;
  // Sorted pointers, not a map: nothing pending runs this over every record.
  std::vector<const Record*> applied;
  applied.reserve(records.size());
  for (const Record& record : records)
    if (record.state == VersionState::kApplied) applied.push_back(&record);
  auto by_version = [](const Record* a, const Record* b) { return a->version < b->version; };
  if (!std::is_sorted(applied.begin(), applied.end(), by_version))
    std::sort(applied.begin(), applied.end(), by_version);
  const int64_t newest_applied = applied.empty() ? 0 : applied.back()->version;

  for (const Record* record : applied) {
    const int64_t version = record->version;
    const Migration* migration = catalog.Find(version);
    if (migration == nullptr) {
      drift.push_back({Drift::Kind::kMissing, version,
                       Named(version, record->name) +
                           " is applied but no migration plugin provides it; restore its plugin, or run "
                           "'mark-pending " + std::to_string(version) + "' if it was undone by hand"});
      continue;
    }
    if (record->checksum.empty() || record->checksum == migration->checksum) continue;
    if (migration->checksum.empty()) {
      drift.push_back({Drift::Kind::kChecksumMissing, version,
                       Named(version, migration->name) + " was applied with checksum " + Short(record->checksum) +
                           " but " + FileName(*migration) +
                           " has none (built without LM_SOURCE_CHECKSUM), so a change cannot be seen; rebuild it "
                           "with link_migration_add_migration() or -DLM_SOURCE_CHECKSUM, or run 'repair' to accept "
                           "it without a checksum"});
    } else {
      drift.push_back({Drift::Kind::kChecksumChanged, version,
                       Named(version, migration->name) + " changed since it was applied (recorded " +
                           Short(record->checksum) + ", " + FileName(*migration) + " has " +
                           Short(migration->checksum) + "); restore it, or run 'repair' to accept the change"});
    }
  }
  // Both ascending: one walk finds the pending versions below the newest applied.
  auto next_applied = applied.begin();
  for (const Migration& migration : catalog.migrations()) {
    if (migration.version >= newest_applied) break;
    while (next_applied != applied.end() && (*next_applied)->version < migration.version) ++next_applied;
    if (next_applied != applied.end() && (*next_applied)->version == migration.version) continue;
    drift.push_back({Drift::Kind::kOutOfOrder, migration.version,
                     Named(migration.version, migration.name) + " is pending but version " +
                         std::to_string(newest_applied) +
                         " is already applied; run with --allow-out-of-order to apply it"});
  }
  std::stable_sort(drift.begin(), drift.end(), [](const Drift& a, const Drift& b) { return a.version < b.version; });
  std::vector<Drift> broken;
  for (const Status& problem : catalog.problems())
    broken.push_back({Drift::Kind::kBrokenPlugin, 0, problem.message() + "; fix or remove the file"});
  drift.insert(drift.begin(), std::make_move_iterator(broken.begin()), std::make_move_iterator(broken.end()));
  return drift;
}

}  // namespace lm
