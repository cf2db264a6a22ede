// The postgres store's two run locks beyond the conformance suite: who a
// waiter is told holds them, and what happens when a holder dies, renews,
// is taken over, or comes back under the same run id.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "pg_test_support.h"

namespace lm::pg_test {
namespace {

using store_test::FullRecord;
using store_test::RecordData;

std::string RunId(const char* name) { return std::string(name) + "-" + std::to_string(getpid()); }

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// How many advisory locks the store's session holds.
std::string AdvisoryLocksHeldBy(Client& store) {
  auto* conn = static_cast<PGconn*>(store.NativeHandle("libpq"));
  return QueryOne("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = $1",
                  {std::to_string(PQbackendPID(conn))});
}

class PostgresAdvisoryLock : public PgTest {
 protected:
  std::string options() const { return Options(schema_, {{"lock", "advisory"}}); }
};

TEST_F(PostgresAdvisoryLock, WaiterIsToldWhoHoldsIt) {
  ForkedHolder holder;
  std::string error;
  ASSERT_TRUE(holder.Start(api_, options(), "3f2a91c07d5e11aa", &error)) << error;

  Client waiter(api_, options(), RunId("waiter"));
  ASSERT_EQ(waiter.Open(), LM_OK) << waiter.message();
  auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(waiter.Lock(200), LM_ERR_LOCK_TIMEOUT) << waiter.message();
  EXPECT_GE(ElapsedMs(start), 150);
  const std::string& message = waiter.message();
  EXPECT_TRUE(Contains(message, "advisory lock")) << message;
  EXPECT_TRUE(Contains(message, "schema \"" + schema_ + "\"")) << message;
  EXPECT_TRUE(Contains(message, "\"link-migration tester@")) << message;
  EXPECT_TRUE(Contains(message, " pid " + std::to_string(holder.pid()) + " run 3f2a91c0")) << message;
  EXPECT_TRUE(Contains(message, "client 127.0.0.1:")) << message;
  EXPECT_TRUE(Contains(message, "connected since 20")) << message;
  EXPECT_TRUE(Contains(message, "gave up after 200 ms")) << message;
}

TEST_F(PostgresAdvisoryLock, KilledHolderReleasesItAtOnce) {
  ForkedHolder holder;
  std::string error;
  ASSERT_TRUE(holder.Start(api_, options(), RunId("worker"), &error)) << error;
  Client waiter(api_, options(), RunId("supervisor"));
  ASSERT_EQ(waiter.Open(), LM_OK) << waiter.message();
  ASSERT_EQ(waiter.Lock(0), LM_ERR_LOCK_TIMEOUT) << waiter.message();

  holder.Kill();  // SIGKILL: no unlock, no close; the kernel closes its socket
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(waiter.Lock(10000), LM_OK) << waiter.message();
  EXPECT_LT(ElapsedMs(start), 3000) << "the server should free a dead session's lock within moments";
}

TEST_F(PostgresAdvisoryLock, HolderKilledMidStatementReleasesItWithinSeconds) {
  // Killed while the server runs its statement, the holder's backend would
  // keep the lock until the statement ended, but for the store's
  // client_connection_check_interval.
  ForkedHolder holder;
  std::string error;
  ASSERT_TRUE(holder.Start(api_, options(), RunId("worker"), &error, "SELECT pg_sleep(120)")) << error;
  const std::string backend = QueryOne("SELECT pid FROM pg_stat_activity WHERE application_name LIKE $1",
                                       {"% pid " + std::to_string(holder.pid()) + " %"});
  ASSERT_FALSE(backend.empty());
  for (int i = 0; i < 100 && QueryOne("SELECT wait_event FROM pg_stat_activity WHERE pid = $1", {backend}) != "PgSleep";
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(QueryOne("SELECT wait_event FROM pg_stat_activity WHERE pid = $1", {backend}), "PgSleep");

  Client waiter(api_, options(), RunId("supervisor"));
  ASSERT_EQ(waiter.Open(), LM_OK) << waiter.message();
  holder.Kill();
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(waiter.Lock(15000), LM_OK) << waiter.message();
  EXPECT_LT(ElapsedMs(start), 6000);
}

TEST_F(PostgresAdvisoryLock, LockingTwiceHoldsItOnceAndUnlockReleasesIt) {
  Client store(api_, options(), RunId("a"));
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  EXPECT_EQ(AdvisoryLocksHeldBy(store), "0");
  ASSERT_EQ(store.Lock(0), LM_OK) << store.message();
  EXPECT_EQ(AdvisoryLocksHeldBy(store), "1");
  ASSERT_EQ(store.Lock(0), LM_OK) << "taking a lock already held succeeds: " << store.message();
  ASSERT_EQ(store.Unlock(), LM_OK) << store.message();
  EXPECT_EQ(AdvisoryLocksHeldBy(store), "0") << "a second Lock must not stack a second hold";
  ASSERT_EQ(store.Unlock(), LM_OK) << "unlocking a lock not held succeeds: " << store.message();
}

TEST_F(PostgresAdvisoryLock, StoresInOtherSchemasLockIndependently) {
  Client first(api_, options(), RunId("a"));
  Client other(api_, Options(FreshSchema("other"), {{"lock", "advisory"}}), RunId("b"));
  Client prefixed(api_, Options(schema_, {{"lock", "advisory"}, {"table_prefix", "other_"}}), RunId("c"));
  for (Client* store : {&first, &other, &prefixed}) {
    ASSERT_EQ(store->Open(), LM_OK) << store->message();
    EXPECT_EQ(store->Lock(0), LM_OK) << store->message();
  }
}

class PostgresLeaseLock : public PgTest {
 protected:
  std::string options(int lease_seconds = 30) const {
    return Options(schema_, {{"lock", "lease"}, {"lease_seconds", lease_seconds}});
  }
  std::string LockRow(const char* column) {
    return QueryOne("SELECT " + std::string(column) + " FROM \"" + schema_ + "\".link_migration_lock");
  }
};

TEST_F(PostgresLeaseLock, WaiterIsToldWhoHoldsItAndUntilWhen) {
  ForkedHolder holder;
  std::string error;
  ASSERT_TRUE(holder.Start(api_, options(), "3f2a91c07d5e11aa", &error)) << error;

  Client waiter(api_, options(), RunId("waiter"));
  ASSERT_EQ(waiter.Open(), LM_OK) << waiter.message();
  ASSERT_EQ(waiter.Lock(250), LM_ERR_LOCK_TIMEOUT) << waiter.message();
  const std::string& message = waiter.message();
  EXPECT_TRUE(Contains(message, "lease lock \"" + schema_ + "\".\"link_migration_lock\" is held by tester@"))
      << message;
  EXPECT_TRUE(Contains(message, " pid " + std::to_string(holder.pid()) + " (run 3f2a91c07d5e11aa) since 20"))
      << message;
  EXPECT_TRUE(Contains(message, "lease expires at 20")) << message;
  EXPECT_TRUE(Contains(message, "unless renewed; gave up after 250 ms")) << message;

  // The row says the same to anyone who looks.
  EXPECT_EQ(LockRow("pid"), std::to_string(holder.pid()));
  EXPECT_EQ(LockRow("run_id"), "3f2a91c07d5e11aa");
  EXPECT_EQ(LockRow("user_name"), "tester");
}

TEST_F(PostgresLeaseLock, HeartbeatKeepsALiveHoldersLease) {
  ForkedHolder holder;
  std::string error;
  ASSERT_TRUE(holder.Start(api_, options(/*lease_seconds=*/2), RunId("holder"), &error)) << error;
  Client waiter(api_, options(2), RunId("waiter"));
  ASSERT_EQ(waiter.Open(), LM_OK) << waiter.message();
  // Three lease lengths: without renewals it would have expired twice over.
  EXPECT_EQ(waiter.Lock(6000), LM_ERR_LOCK_TIMEOUT) << waiter.message();
  EXPECT_TRUE(Contains(waiter.message(), "pid " + std::to_string(holder.pid()))) << waiter.message();
}

TEST_F(PostgresLeaseLock, KilledHoldersLeaseIsTakenOverAfterItExpires) {
  ForkedHolder holder;
  std::string error;
  ASSERT_TRUE(holder.Start(api_, options(/*lease_seconds=*/2), RunId("holder"), &error)) << error;
  holder.Kill();
  auto killed = std::chrono::steady_clock::now();

  Client waiter(api_, options(2), RunId("waiter"));
  ASSERT_EQ(waiter.Open(), LM_OK) << waiter.message();
  // Still within the dead holder's lease: another run must wait for it.
  EXPECT_EQ(waiter.Lock(0), LM_ERR_LOCK_TIMEOUT) << waiter.message();
  ASSERT_EQ(waiter.Lock(10000), LM_OK) << waiter.message();
  EXPECT_LT(ElapsedMs(killed), 2000 + 3000) << "taken over long after the lease expired";
  EXPECT_EQ(LockRow("pid"), std::to_string(getpid()));
  EXPECT_EQ(LockRow("run_id"), waiter.run_id());
}

TEST_F(PostgresLeaseLock, TheSameRunIdTakesItOverAtOnce) {
  // A supervisor recording the failure of its dead worker runs under the
  // worker's run id; it must not wait out the lease.
  ForkedHolder worker;
  std::string error;
  ASSERT_TRUE(worker.Start(api_, options(/*lease_seconds=*/300), "run-shared-7e1d", &error)) << error;
  worker.Kill();

  Client supervisor(api_, options(300), "run-shared-7e1d");
  ASSERT_EQ(supervisor.Open(), LM_OK) << supervisor.message();
  auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(supervisor.Lock(0), LM_OK) << supervisor.message();
  EXPECT_LT(ElapsedMs(start), 2000);

  // Another run still cannot.
  Client other(api_, options(300), RunId("other"));
  ASSERT_EQ(other.Open(), LM_OK) << other.message();
  EXPECT_EQ(other.Lock(0), LM_ERR_LOCK_TIMEOUT) << other.message();
}

TEST_F(PostgresLeaseLock, AHolderTakenOverCanNeitherCommitNorReleaseTheNewHoldersLock) {
  Client first(api_, options(/*lease_seconds=*/1), "run-twice-5c2b");
  ASSERT_EQ(first.Open(), LM_OK) << first.message();
  ASSERT_EQ(first.Lock(0), LM_OK) << first.message();

  Client second(api_, options(1), "run-twice-5c2b");
  ASSERT_EQ(second.Open(), LM_OK) << second.message();
  ASSERT_EQ(second.Lock(0), LM_OK) << second.message();

  // The first holder's transaction must not commit under a lock it lost.
  ASSERT_EQ(first.Begin(), LM_OK) << first.message();
  ASSERT_EQ(first.Put(FullRecord(1)), LM_OK) << first.message();
  EXPECT_EQ(first.Commit(), LM_ERROR);
  EXPECT_TRUE(Contains(first.message(), "no longer held by this run")) << first.message();
  EXPECT_EQ(first.Rollback(), LM_OK) << first.message();

  // Its heartbeat finds out too (every lease_seconds / 3), and then changes
  // outside a transaction are refused.
  auto start = std::chrono::steady_clock::now();
  while (first.Put(FullRecord(2)) == LM_OK && ElapsedMs(start) < 10000) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(Contains(first.message(), "was taken over")) << first.message();

  // Releasing leaves the second holder's row alone.
  EXPECT_EQ(first.Unlock(), LM_OK) << first.message();
  Client other(api_, options(1), RunId("other"));
  ASSERT_EQ(other.Open(), LM_OK) << other.message();
  EXPECT_EQ(other.Lock(0), LM_ERR_LOCK_TIMEOUT) << other.message();

  // The transaction that tried to commit under the lost lock left nothing.
  std::vector<RecordData> records;
  ASSERT_EQ(second.List(&records), LM_OK) << second.message();
  for (const RecordData& record : records) EXPECT_NE(record.version, 1);
}

TEST_F(PostgresLeaseLock, UnlockDeletesTheRow) {
  Client store(api_, options(), RunId("a"));
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  ASSERT_EQ(store.Lock(0), LM_OK) << store.message();
  EXPECT_EQ(QueryOne("SELECT count(*) FROM \"" + schema_ + "\".link_migration_lock"), "1");
  ASSERT_EQ(store.Unlock(), LM_OK) << store.message();
  EXPECT_EQ(QueryOne("SELECT count(*) FROM \"" + schema_ + "\".link_migration_lock"), "0");
}

TEST_F(PostgresLeaseLock, CommitsWhileHeldSucceed) {
  Client store(api_, options(/*lease_seconds=*/1), RunId("a"));
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  ASSERT_EQ(store.Lock(0), LM_OK) << store.message();
  for (int version = 1; version <= 3; ++version) {
    ASSERT_EQ(store.Begin(), LM_OK) << store.message();
    ASSERT_EQ(store.Put(FullRecord(version)), LM_OK) << store.message();
    ASSERT_EQ(store.Commit(), LM_OK) << store.message();
    // Across several renewals.
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
  }
  ASSERT_EQ(store.Put(FullRecord(4)), LM_OK) << store.message();
  std::vector<RecordData> records;
  ASSERT_EQ(store.List(&records), LM_OK) << store.message();
  EXPECT_EQ(records.size(), 4u);
}

// Runners of one store configured with different lock modes must still
// exclude each other, and say why they wait.
class PostgresMixedLockModes : public PgTest {
 protected:
  std::string options(const char* lock) const { return Options(schema_, {{"lock", lock}, {"lease_seconds", 30}}); }
};

TEST_F(PostgresMixedLockModes, ALeaseRunnerWaitsForAnAdvisoryHolder) {
  ForkedHolder holder;
  std::string error;
  ASSERT_TRUE(holder.Start(api_, options("advisory"), RunId("advisory"), &error)) << error;
  Client waiter(api_, options("lease"), RunId("lease"));
  ASSERT_EQ(waiter.Open(), LM_OK) << waiter.message();
  ASSERT_EQ(waiter.Lock(200), LM_ERR_LOCK_TIMEOUT) << waiter.message();
  EXPECT_TRUE(Contains(waiter.message(), " pid " + std::to_string(holder.pid()))) << waiter.message();
  EXPECT_TRUE(Contains(waiter.message(), "every runner of one store must use the same lock mode")) << waiter.message();
  EXPECT_EQ(QueryOne("SELECT count(*) FROM \"" + schema_ + "\".link_migration_lock"), "0")
      << "the waiter must not leave its lease row behind";

  holder.Kill();
  EXPECT_EQ(waiter.Lock(10000), LM_OK) << waiter.message();
}

TEST_F(PostgresMixedLockModes, AnAdvisoryRunnerWaitsForALeaseHolder) {
  ForkedHolder holder;
  std::string error;
  ASSERT_TRUE(holder.Start(api_, options("lease"), RunId("lease"), &error)) << error;
  Client waiter(api_, options("advisory"), RunId("advisory"));
  ASSERT_EQ(waiter.Open(), LM_OK) << waiter.message();
  ASSERT_EQ(waiter.Lock(200), LM_ERR_LOCK_TIMEOUT) << waiter.message();
  EXPECT_TRUE(Contains(waiter.message(), "tester@")) << waiter.message();
  EXPECT_TRUE(Contains(waiter.message(), " pid " + std::to_string(holder.pid()))) << waiter.message();
  EXPECT_TRUE(Contains(waiter.message(), "through a lease")) << waiter.message();
  EXPECT_EQ(QueryOne("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = $1",
                     {std::to_string(PQbackendPID(static_cast<PGconn*>(waiter.NativeHandle("libpq"))))}),
            "0")
      << "the waiter must not keep the advisory lock";
}

}  // namespace
}  // namespace lm::pg_test
