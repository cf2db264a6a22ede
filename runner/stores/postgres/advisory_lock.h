// The "advisory" run lock: a session-level advisory lock, taken with
// pg_try_advisory_lock on the store's own connection and held until unlock
// or until the session ends. A runner that dies takes its connection with
// it, and the server frees the lock; nothing is left to clean up.
//
// The key is a 64-bit hash of the schema and table prefix, so stores in
// different schemas or with different prefixes lock independently. A
// waiter that gives up names the holding session from pg_locks and
// pg_stat_activity: its application_name (which names the runner, see
// ApplicationName), client address and connection time.
//
// A runner configured with the other lock mode ("lease") must not migrate
// alongside: having taken the advisory lock, Lock also looks for a live
// lease in the store's lock table and, finding one, lets go and waits. The
// lease side does the mirror image (lease_lock.h), so whichever checks
// second sees the other.
#ifndef LINK_MIGRATION_STORES_POSTGRES_ADVISORY_LOCK_H
#define LINK_MIGRATION_STORES_POSTGRES_ADVISORY_LOCK_H

#include <cstdint>
#include <string>

#include "postgres/connection.h"
#include "postgres/run_lock.h"

namespace lm::stores {

class AdvisoryLock : public PgRunLock {
 public:
  // `connection` is the store's and outlives this object. `what` names the
  // store in messages ("schema \"public\", tables link_migration_*").
  // `lease_table` is the quoted, qualified name of the lease mode's lock
  // table, which need not exist.
  AdvisoryLock(PgConnection* connection, int64_t key, std::string what, std::string lease_table)
      : connection_(connection), key_(key), what_(std::move(what)), lease_table_(std::move(lease_table)) {}

  Status Lock(int64_t timeout_ms) override;
  Status Unlock() override;
  bool held() const override { return held_; }
  // A session lock is lost only with its connection, and then COMMIT fails.
  Status CheckInTransaction(PgConnection&) override { return Status::Ok(); }
  Status CheckNotLost() override { return Status::Ok(); }

 private:
  Status TryOnce(bool* acquired);
  std::string DescribeHolder();

  PgConnection* const connection_;
  const int64_t key_;
  const std::string what_;
  const std::string lease_table_;
  bool held_ = false;
};

// Describes the session that holds advisory lock `key` in the current
// database; *description is empty when none does.
Status FindAdvisoryHolder(PgConnection& connection, int64_t key, std::string* description);

// The run lock's key: FNV-1a of "link-migration run lock", the schema and
// the table prefix, as a signed 64-bit integer.
int64_t AdvisoryLockKey(const std::string& purpose, const std::string& schema, const std::string& table_prefix);

}  // namespace lm::stores

#endif  // LINK_MIGRATION_STORES_POSTGRES_ADVISORY_LOCK_H
