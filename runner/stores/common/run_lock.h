// The run lock of a store kept in a file: a LockFile next to the store file,
// "<store file>.lock", taken in the name of the runner that opened the store.
#ifndef LINK_MIGRATION_STORES_COMMON_RUN_LOCK_H
#define LINK_MIGRATION_STORES_COMMON_RUN_LOCK_H

#include <cstdint>
#include <string>
#include <utility>

#include "common/lock_file.h"
#include "common/owner.h"
#include "common/status.h"

namespace lm::stores {

class RunLock {
 public:
  // `store_path` is the store's own file; the lock file sits beside it.
  // A read-only store's lock does nothing: a read-only session changes
  // nothing and reads consistent snapshots (SQLite's, or a file replaced
  // atomically), so it needs no exclusion, and it must not create a file.
  RunLock(const std::string& store_path, Owner owner, bool read_only)
      : file_(store_path + ".lock"), owner_(std::move(owner)), read_only_(read_only) {}

  Status Lock(int64_t timeout_ms) { return read_only_ ? Status::Ok() : file_.Lock(owner_, timeout_ms); }
  Status Unlock() { return read_only_ ? Status::Ok() : file_.Unlock(); }

 private:
  LockFile file_;
  const Owner owner_;
  const bool read_only_;
};

}  // namespace lm::stores

#endif  // LINK_MIGRATION_STORES_COMMON_RUN_LOCK_H
