// A read-only open that creates nothing beside the database when that is
// safe. SQLite reads a database in WAL mode through its -wal and -shm files
// and makes them when they are missing; a read-only connection cannot remove
// them again (only the last read-write connection to close does), so every
// `status` would leave them behind. When no other connection has the
// database open and no -wal with content is left (by a connection that
// ended without closing), there is nothing in a WAL to read: the database
// is then opened `immutable` (no -wal, no -shm, no locks) while this object
// keeps any other connection from opening it.
#ifndef LINK_MIGRATION_STORES_SQLITE_QUIET_READ_H
#define LINK_MIGRATION_STORES_SQLITE_QUIET_READ_H

#include <string>

namespace lm::stores {

class QuietRead {
 public:
  QuietRead() = default;
  ~QuietRead();
  QuietRead(const QuietRead&) = delete;
  QuietRead& operator=(const QuietRead&) = delete;

  // Decides how to open `path` read-only. When the database is in WAL mode
  // and an exclusive lock on SQLite's shared-lock bytes is granted at once
  // (an open file description lock: it conflicts with every connection's
  // lock, this process's included, and no other close releases it), no
  // connection has it open, and none can read or write it until this object
  // goes: immutable() is then true, unless a -wal with content is there.
  // Otherwise (not in WAL mode, which reads create nothing for; a
  // connection has it open; a -wal to read; the file is not writable for
  // the lock) the open is an ordinary read-only one.
  void Prepare(const std::string& path);

  bool immutable() const { return lock_fd_ >= 0; }

  // The URI that opens `path` immutable (for SQLITE_OPEN_URI).
  static std::string ImmutableUri(const std::string& path);

 private:
  int lock_fd_ = -1;
};

}  // namespace lm::stores

#endif  // LINK_MIGRATION_STORES_SQLITE_QUIET_READ_H
