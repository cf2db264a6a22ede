// The "lease" run lock, for servers reached through a transaction-pooling
// proxy (PgBouncer pool_mode = transaction), where a session's advisory
// lock may belong to some other client's session a moment later.
//
// The lock is the one row of <prefix>lock, naming its holder (user, host,
// pid, run id) and an expiry. Every statement stands alone in autocommit,
// so none relies on session state:
//
//  - acquire: one INSERT ... ON CONFLICT DO UPDATE that takes the row if it
//    is absent, expired, or held under the same run id (a supervisor
//    recording the failure of the worker that died holding it);
//  - heartbeat: a thread on its own connection pushes expires_at forward
//    every lease_seconds / 3 while the lock is held;
//  - release: deletes the row only if it is still ours.
//
// Each acquisition writes a fresh random token, and "ours" means "has our
// token": a holder whose lease was taken over can neither extend nor delete
// the new holder's row, and its COMMITs fail (CheckInTransaction).
//
// Having written its row, Lock also looks for a session holding the
// advisory lock of the same store (a runner configured with "lock":
// "advisory") and, finding one, deletes its row again and waits; see
// advisory_lock.h for the mirror image.
//
// A holder that dies stops renewing; its lease expires at most
// lease_seconds later and the next runner takes it over.
#ifndef LINK_MIGRATION_STORES_POSTGRES_LEASE_LOCK_H
#define LINK_MIGRATION_STORES_POSTGRES_LEASE_LOCK_H

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/owner.h"
#include "postgres/connection.h"
#include "postgres/run_lock.h"

namespace lm::stores {

class LeaseLock : public PgRunLock {
 public:
  // `table` is the lock table's quoted, schema-qualified name; the table
  // exists. `connect` opens the lease's own connection, on first Lock.
  // `advisory_key` is the store's advisory run lock (AdvisoryLockKey).
  LeaseLock(ConnectParams connect, std::string table, int64_t advisory_key, Owner owner, int lease_seconds);
  // Stops the heartbeat and releases the lease if held.
  ~LeaseLock() override;

  Status Lock(int64_t timeout_ms) override;
  Status Unlock() override;
  bool held() const override { return held_; }
  Status CheckInTransaction(PgConnection& store_connection) override;
  Status CheckNotLost() override;

 private:
  Status Connect();
  Status TryAcquire(bool* acquired);
  std::string DescribeHolder();
  void StartHeartbeat();
  void StopHeartbeat();
  void Heartbeat();
  // One renewal; *ours false when the row is no longer ours.
  Status Extend(bool* ours);
  std::string LostMessage();

  const ConnectParams connect_;
  const std::string table_;
  const int64_t advisory_key_;
  const Owner owner_;
  const int lease_seconds_;

  // Used by Lock and Unlock, and by the heartbeat thread only while it runs
  // (between them), so never by two threads at once.
  std::unique_ptr<PgConnection> connection_;
  std::string token_;
  bool held_ = false;

  std::thread heartbeat_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;       // guarded by mutex_
  std::string lost_;        // guarded by mutex_; why the lease is no longer ours
  std::string last_error_;  // guarded by mutex_; the latest failed renewal
};

// Describes the unexpired lease in `table` (quoted, schema-qualified):
// "alice@host1 pid 4242 (run 3f2a) since ..., lease expires at ...";
// *description is empty when there is none, or no such table.
Status FindLiveLease(PgConnection& connection, const std::string& table, std::string* description);

}  // namespace lm::stores

#endif  // LINK_MIGRATION_STORES_POSTGRES_LEASE_LOCK_H
