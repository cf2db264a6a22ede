// The run lock of a file-based store: an advisory flock(2) on a sidecar file
// next to the store (e.g. app.db.lock).
//
// The kernel drops a flock when its holder's file descriptor goes away, which
// includes the holder being killed, so a dead runner never wedges later runs;
// nothing has to detect or break stale locks. The holder writes its owner
// details into the file so a waiter can say who it waited for. The file itself
// stays in place after unlock: deleting it would race with a process that has
// it open and is about to lock it.
//
// Not thread-safe; one LockFile per open store.
#ifndef LINK_MIGRATION_STORES_COMMON_LOCK_FILE_H
#define LINK_MIGRATION_STORES_COMMON_LOCK_FILE_H

#include <cstdint>
#include <string>

#include "common/owner.h"
#include "common/status.h"

namespace lm::stores {

class LockFile {
 public:
  // `path` is the lock file itself; nothing is created until Lock.
  explicit LockFile(std::string path) : path_(std::move(path)) {}
  ~LockFile();

  LockFile(const LockFile&) = delete;
  LockFile& operator=(const LockFile&) = delete;

  // Takes the lock, polling without blocking until `timeout_ms` has passed
  // (0: try once; negative: wait forever), so the timeout is always honoured.
  // On timeout returns LM_ERR_LOCK_TIMEOUT naming the holder. Taking a lock
  // this object already holds succeeds.
  Status Lock(const Owner& owner, int64_t timeout_ms);

  // Releases the lock; releasing a lock not held succeeds.
  Status Unlock();

  bool held() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }

 private:
  // One attempt. *acquired tells whether fd_ now holds the lock.
  Status TryLock(int fd, bool* acquired);
  std::string ReadHolder(int fd) const;

  std::string path_;
  int fd_ = -1;  // open and locked while held
};

}  // namespace lm::stores

#endif  // LINK_MIGRATION_STORES_COMMON_LOCK_FILE_H
