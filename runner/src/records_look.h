// A read-only look at the store's committed records, as status, the current
// version and "nothing pending" take it: no lock, no worker.
#ifndef LINK_MIGRATION_RUNNER_RECORDS_LOOK_H
#define LINK_MIGRATION_RUNNER_RECORDS_LOOK_H

#include <string>
#include <vector>

#include "status.h"
#include "store_host.h"
#include "version_store.h"

namespace lm {

// What a read-only look found: the store's name and its committed records.
// The store is closed by then.
struct RecordsSnapshot {
  std::string store_name;
  std::vector<Record> records;
};

// Opens the store read-only, lists its records and closes it. Warnings for
// the user (a store of the minimal contract) are appended.
Status TakeSnapshot(const StoreOpenRequest& request, RecordsSnapshot* snapshot, std::vector<std::string>* warnings);

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_RECORDS_LOOK_H
