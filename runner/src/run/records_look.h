// A read-only look at the store's committed records, taken before or, when
// the migration folders hold many files, while the engine reads them: on a
// thread of its own. Status and "nothing pending" need both, and neither
// waits on the other: the store's side is mostly the database's own work
// (connecting, reading its schema), the folders' side mostly file system
// calls.
#ifndef LINK_MIGRATION_RUNNER_RECORDS_LOOK_H
#define LINK_MIGRATION_RUNNER_RECORDS_LOOK_H

#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "run/overlap_thread.h"
#include "base/status.h"
#include "store/store_host.h"
#include "store/version_store.h"

namespace lm {

// What a read-only look found: the store's name and its committed records.
// The store is closed by then (closing frees what SQLite read of the schema,
// work worth keeping off the main thread too).
struct RecordsSnapshot {
  std::string store_name;
  std::vector<Record> records;
};

// Opens the store read-only, lists its records and closes it. Warnings for
// the user (a store of the minimal contract) are appended.
// With `loaded`, the store's plugin is not looked for and loaded again.
Status TakeSnapshot(const StoreOpenRequest& request, RecordsSnapshot* snapshot, std::vector<std::string>* warnings,
                    const LoadedStorePlugin* loaded = nullptr);

class RecordsLook {
 public:
  // Takes the look with a copy of request and of its config, on a thread of
  // its own (overlap_thread.h), or at once when asked to or when there is no
  // other CPU to run it on. The request's known_versions stay empty: the catalog
  // is not read yet.
  enum class Overlap { kOnAThread, kNone };
  RecordsLook(const StoreOpenRequest& request, Overlap overlap);
  // Waits for the thread (OverlapThread's destructor): nothing the look
  // loaded may be running when the runner forks a worker or exits.
  ~RecordsLook() = default;
  RecordsLook(const RecordsLook&) = delete;
  RecordsLook& operator=(const RecordsLook&) = delete;

  // Waits for the look. True when it read the records cleanly: the store
  // opened without a warning (a store of the minimal contract warns, and
  // needs the known versions to list) and listed without an error. False
  // means: open the store the usual way, which reports whatever went wrong.
  bool Take(RecordsSnapshot* snapshot);

 private:
  void Look();

  Config config_;
  StoreOpenRequest request_;
  LoadedStorePlugin plugin_;  // loaded before the thread starts (library null otherwise)
  RecordsSnapshot snapshot_;
  bool usable_ = false;
  OverlapThread thread_;  // last: ends first, and starts once everything above is in place
};

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_RECORDS_LOOK_H
