// Holds a store's lock for one command, released on every path out.
#ifndef LINK_MIGRATION_RUNNER_STORE_LOCK_H
#define LINK_MIGRATION_RUNNER_STORE_LOCK_H

#include <chrono>

#include "store/version_store.h"

namespace lm {

class StoreLock {
 public:
  explicit StoreLock(VersionStore& store) : store_(store) {}
  ~StoreLock() {
    if (held_) (void)store_.Unlock();
  }
  StoreLock(const StoreLock&) = delete;
  StoreLock& operator=(const StoreLock&) = delete;

  // A store without locking has nothing to take.
  Status Acquire(std::chrono::milliseconds timeout) {
    if (!store_.capabilities().locking) return Status::Ok();
    LM_RETURN_IF_ERROR(store_.Lock(timeout));
    held_ = true;
    return Status::Ok();
  }

 private:
  VersionStore& store_;
  bool held_ = false;
};

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_STORE_LOCK_H
