// A read-only look at the store's committed records, taken on a thread of
// its own while the engine reads the migration folders. Status and "nothing
// pending" need both, and neither waits on the other: the store's side is
// mostly the database's own work (connecting, reading its schema), the
// folders' side mostly file system calls.
#ifndef LINK_MIGRATION_RUNNER_RECORDS_LOOK_H
#define LINK_MIGRATION_RUNNER_RECORDS_LOOK_H

#include <memory>
#include <thread>
#include <vector>

#include "config.h"
#include "status.h"
#include "store_host.h"
#include "version_store.h"

namespace lm {

class RecordsLook {
 public:
  // Starts the look with a copy of request and of its config. The request's
  // known_versions stay empty: the catalog is not read yet.
  explicit RecordsLook(const StoreOpenRequest& request);
  // Waits for the thread: nothing the look loaded may be running when the
  // runner forks a worker or exits.
  ~RecordsLook();
  RecordsLook(const RecordsLook&) = delete;
  RecordsLook& operator=(const RecordsLook&) = delete;

  // Waits for the look. True when it read the records cleanly: the store
  // opened without a warning (a store of the minimal contract warns, and
  // needs the known versions to list) and listed without an error. False
  // means: open the store the usual way, which reports whatever went wrong.
  bool Take(std::unique_ptr<VersionStore>* store, std::vector<Record>* records);

 private:
  void Look();

  Config config_;
  StoreOpenRequest request_;
  std::unique_ptr<VersionStore> store_;
  std::vector<Record> records_;
  bool usable_ = false;
  std::thread thread_;  // last: starts once everything above is in place
};

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_RECORDS_LOOK_H
