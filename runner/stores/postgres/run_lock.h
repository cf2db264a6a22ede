// The postgres store's run lock, held from lock() to unlock() across the
// whole run. Two kinds (option "lock"):
//
//  - AdvisoryLock: a session-level advisory lock on the store's connection.
//  - LeaseLock: a row with an expiry in <prefix>lock, kept alive by a
//    heartbeat; for transaction-pooling proxies, where session state breaks.
//
// Both wait by polling a call that never blocks, so a timeout always holds,
// and both name the holder when they give up.
#ifndef LINK_MIGRATION_STORES_POSTGRES_RUN_LOCK_H
#define LINK_MIGRATION_STORES_POSTGRES_RUN_LOCK_H

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "common/owner.h"
#include "common/status.h"
#include "postgres/connection.h"

namespace lm::stores {

class PgRunLock {
 public:
  virtual ~PgRunLock() = default;

  // Takes the lock within `timeout_ms` (0: try once; negative: wait
  // forever), or returns LM_ERR_LOCK_TIMEOUT naming the holder. Taking a
  // lock this object holds succeeds.
  virtual Status Lock(int64_t timeout_ms) = 0;
  // Releases the lock; releasing a lock not held succeeds.
  virtual Status Unlock() = 0;
  virtual bool held() const = 0;

  // Called in the store's open transaction just before COMMIT, while held:
  // fails if the lock was lost (a lease taken over after it expired), and
  // keeps it from being taken until the transaction ends.
  virtual Status CheckInTransaction(PgConnection& store_connection) = 0;
  // Called before a change made outside a transaction, while held: fails if
  // the lock is known to be lost.
  virtual Status CheckNotLost() = 0;
};

// Calls `attempt` until it sets *acquired, pausing `interval` between
// calls, for at most `timeout_ms` (0: once; negative: forever). Returns OK
// with *acquired false when the time is up, or the first failed attempt.
Status PollForLock(int64_t timeout_ms, std::chrono::milliseconds interval,
                   const std::function<Status(bool* acquired)>& attempt, bool* acquired);

// "link-migration alice@host1 pid 4242 run 3f2a91c07d5e11aa", cut to fit
// PostgreSQL's 63-byte application_name so that the pid always survives,
// in printable ASCII (the server replaces anything else with '?').
std::string ApplicationName(const Owner& owner);

// Milliseconds as a waiting message says them: "gave up after 300 ms".
std::string GaveUpAfter(int64_t timeout_ms);

}  // namespace lm::stores

#endif  // LINK_MIGRATION_STORES_POSTGRES_RUN_LOCK_H
