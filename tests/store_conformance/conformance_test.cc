// The store conformance suite: what every lm_store_api store must do,
// checked through the C ABI alone. Tests of an optional part skip only when
// the store does not claim that capability.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "conformance_config.h"
#include "store_harness.h"

namespace lm::store_test {
namespace {

class StoreConformance : public testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    api_ = LoadStore(Config().store, &error);
    ASSERT_NE(api_, nullptr) << error;
    options_ = ExpandOptions(Config().options, dir_.path());
  }

  StoreClient Client() { return StoreClient(api_, options_, dir_.path()); }
  bool Has(uint64_t capability) const { return (api_->capabilities & capability) != 0; }

  const lm_store_api* api_ = nullptr;
  TempDir dir_;
  std::string options_;
};

#define REQUIRE_CAPABILITY(bit)                                      \
  do {                                                               \
    if (!Has(bit)) GTEST_SKIP() << "the store does not claim " #bit; \
  } while (0)

TEST_F(StoreConformance, DescriptorMatchesItsCapabilities) {
  EXPECT_GE(api_->struct_size, kFirstStoreApiSize);
  EXPECT_EQ(api_->abi_version, LM_ABI_VERSION);
  ASSERT_NE(api_->name, nullptr);
  EXPECT_STRNE(api_->name, "");
  EXPECT_NE(api_->open, nullptr);
  EXPECT_NE(api_->close, nullptr);
  EXPECT_NE(api_->list_records, nullptr);
  EXPECT_NE(api_->put_record, nullptr);
  EXPECT_NE(api_->delete_record, nullptr);
  // A capability is claimed exactly when its functions are there.
  EXPECT_EQ(Has(LM_STORE_CAP_HISTORY), api_->append_event != nullptr);
  EXPECT_EQ(Has(LM_STORE_CAP_HISTORY), api_->list_events != nullptr);
  EXPECT_EQ(Has(LM_STORE_CAP_TRANSACTIONS), api_->begin != nullptr);
  EXPECT_EQ(Has(LM_STORE_CAP_TRANSACTIONS), api_->commit != nullptr);
  EXPECT_EQ(Has(LM_STORE_CAP_TRANSACTIONS), api_->rollback != nullptr);
  EXPECT_EQ(Has(LM_STORE_CAP_LOCKING), api_->lock != nullptr);
  EXPECT_EQ(Has(LM_STORE_CAP_LOCKING), api_->unlock != nullptr);
  EXPECT_EQ(Has(LM_STORE_CAP_NATIVE_HANDLE), api_->native_handle != nullptr);
  if (HasInTransaction(*api_)) {
    EXPECT_EQ(Has(LM_STORE_CAP_TRANSACTIONS), api_->in_transaction != nullptr);
  }
}

TEST_F(StoreConformance, OpensAndCloses) {
  StoreClient store = Client();
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  EXPECT_NE(store.handle(), nullptr);
  store.Close();
  // And again, on the store the first open created.
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
}

TEST_F(StoreConformance, NewStoreListsNothing) {
  StoreClient store = Client();
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  std::vector<RecordData> records;
  ASSERT_EQ(store.List(&records), LM_OK) << store.message();
  EXPECT_TRUE(records.empty());
}

TEST_F(StoreConformance, ReadOnlyOpenOfMissingStoreCreatesNothing) {
  ASSERT_TRUE(dir_.Entries().empty());
  {
    StoreClient store = Client();
    ASSERT_EQ(store.Open(/*read_only=*/true), LM_OK) << store.message();
    std::vector<RecordData> records;
    ASSERT_EQ(store.List(&records), LM_OK) << store.message();
    EXPECT_TRUE(records.empty());
    if (Has(LM_STORE_CAP_HISTORY)) {
      std::vector<EventData> events;
      ASSERT_EQ(store.ListEvents(&events), LM_OK) << store.message();
      EXPECT_TRUE(events.empty());
    }
  }
  EXPECT_EQ(dir_.Entries(), std::vector<std::string>());
}

TEST_F(StoreConformance, PutRecordRoundTripsEveryField) {
  StoreClient store = Client();
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  RecordData record = FullRecord(7);
  record.state = LM_STATE_FAILED_PARTIAL;
  ASSERT_EQ(store.Put(record), LM_OK) << store.message();

  std::vector<RecordData> records;
  ASSERT_EQ(store.List(&records), LM_OK) << store.message();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0], record);
}

TEST_F(StoreConformance, EveryStateRoundTrips) {
  StoreClient store = Client();
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  const int32_t states[] = {LM_STATE_APPLIED, LM_STATE_RUNNING, LM_STATE_FAILED_ROLLED_BACK, LM_STATE_FAILED_PARTIAL};
  for (int32_t state : states) {
    RecordData record = FullRecord(state);
    record.state = state;
    ASSERT_EQ(store.Put(record), LM_OK) << store.message();
  }
  std::vector<RecordData> records;
  ASSERT_EQ(store.List(&records), LM_OK) << store.message();
  ASSERT_EQ(records.size(), 4u);
  for (size_t i = 0; i < records.size(); ++i) EXPECT_EQ(records[i].state, states[i]);
}

TEST_F(StoreConformance, NullStringsComeBackNullOrEmpty) {
  StoreClient store = Client();
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  RecordData record;
  record.version = 3;
  record.state = LM_STATE_RUNNING;
  ASSERT_EQ(store.Put(record), LM_OK) << store.message();

  std::vector<RecordData> records;
  ASSERT_EQ(store.List(&records), LM_OK) << store.message();
  ASSERT_EQ(records.size(), 1u);
  const RecordData& got = records[0];
  EXPECT_EQ(got.version, 3);
  EXPECT_EQ(got.state, LM_STATE_RUNNING);
  for (const Text* text : {&got.name, &got.checksum, &got.applied_at, &got.applied_by, &got.runner_version, &got.error,
                           &got.changelog_path, &got.run_id}) {
    EXPECT_TRUE(!text->has_value() || text->value().empty()) << "got \"" << text->value() << "\"";
  }
  EXPECT_EQ(got.duration_ms, 0);
  EXPECT_EQ(got.attempts, 0);
}

TEST_F(StoreConformance, ListsRecordsAscendingByVersion) {
  StoreClient store = Client();
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  const int64_t kMax = std::numeric_limits<int64_t>::max();
  for (int64_t version : {int64_t{30}, int64_t{1}, kMax, int64_t{20261121211747}, int64_t{2}}) {
    ASSERT_EQ(store.Put(FullRecord(version)), LM_OK) << store.message();
  }
  std::vector<RecordData> records;
  ASSERT_EQ(store.List(&records), LM_OK) << store.message();
  std::vector<int64_t> versions;
  for (const RecordData& record : records) versions.push_back(record.version);
  EXPECT_EQ(versions, (std::vector<int64_t>{1, 2, 30, 20261121211747, kMax}));
  ASSERT_EQ(records.size(), 5u);
  EXPECT_EQ(records[4], FullRecord(kMax));
}

TEST_F(StoreConformance, PutReplacesTheRecordOfItsVersion) {
  StoreClient store = Client();
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  RecordData running = FullRecord(5);
  running.state = LM_STATE_RUNNING;
  running.attempts = 1;
  ASSERT_EQ(store.Put(running), LM_OK) << store.message();
  RecordData applied = FullRecord(5);
  applied.state = LM_STATE_APPLIED;
  applied.attempts = 2;
  applied.error.reset();
  applied.name = "renamed";
  ASSERT_EQ(store.Put(applied), LM_OK) << store.message();

  std::vector<RecordData> records;
  ASSERT_EQ(store.List(&records), LM_OK) << store.message();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].state, LM_STATE_APPLIED);
  EXPECT_EQ(records[0].attempts, 2);
  EXPECT_EQ(records[0].name, Text("renamed"));
  EXPECT_TRUE(!records[0].error || records[0].error->empty());
}

TEST_F(StoreConformance, DeleteRemovesOnlyThatVersion) {
  StoreClient store = Client();
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  for (int64_t version : {1, 2, 3}) ASSERT_EQ(store.Put(FullRecord(version)), LM_OK);
  ASSERT_EQ(store.Delete(2), LM_OK) << store.message();

  std::vector<RecordData> records;
  ASSERT_EQ(store.List(&records), LM_OK) << store.message();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0], FullRecord(1));
  EXPECT_EQ(records[1], FullRecord(3));
}

TEST_F(StoreConformance, DeletingAMissingVersionIsNotAnError) {
  StoreClient store = Client();
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  EXPECT_EQ(store.Delete(42), LM_OK) << store.message();
  ASSERT_EQ(store.Put(FullRecord(1)), LM_OK) << store.message();
  EXPECT_EQ(store.Delete(42), LM_OK) << store.message();
  std::vector<RecordData> records;
  ASSERT_EQ(store.List(&records), LM_OK) << store.message();
  EXPECT_EQ(records.size(), 1u);
}

TEST_F(StoreConformance, VisitorCanStopTheListing) {
  StoreClient store = Client();
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  for (int64_t version : {1, 2, 3}) ASSERT_EQ(store.Put(FullRecord(version)), LM_OK);

  int visits = 0;
  auto stop_at_first = [](void* user, const lm_record*) -> lm_result {
    ++*static_cast<int*>(user);
    return 42;
  };
  lm_error error = {};
  EXPECT_EQ(api_->list_records(store.handle(), stop_at_first, &visits, &error), 42);
  EXPECT_EQ(visits, 1);
}

TEST_F(StoreConformance, DataPersistsAcrossReopen) {
  {
    StoreClient store = Client();
    ASSERT_EQ(store.Open(), LM_OK) << store.message();
    ASSERT_EQ(store.Put(FullRecord(1)), LM_OK) << store.message();
    ASSERT_EQ(store.Put(FullRecord(2)), LM_OK) << store.message();
    if (Has(LM_STORE_CAP_HISTORY)) {
      ASSERT_EQ(store.Append(FullEvent(1, LM_EVENT_APPLY)), LM_OK) << store.message();
    }
  }
  for (bool read_only : {false, true}) {
    SCOPED_TRACE(read_only ? "read-only" : "read-write");
    StoreClient store = Client();
    ASSERT_EQ(store.Open(read_only), LM_OK) << store.message();
    std::vector<RecordData> records;
    ASSERT_EQ(store.List(&records), LM_OK) << store.message();
    EXPECT_EQ(records, (std::vector<RecordData>{FullRecord(1), FullRecord(2)}));
    if (Has(LM_STORE_CAP_HISTORY)) {
      std::vector<EventData> events;
      ASSERT_EQ(store.ListEvents(&events), LM_OK) << store.message();
      EXPECT_EQ(events, (std::vector<EventData>{FullEvent(1, LM_EVENT_APPLY)}));
    }
  }
}

TEST_F(StoreConformance, EventsListInTheOrderAppended) {
  REQUIRE_CAPABILITY(LM_STORE_CAP_HISTORY);
  StoreClient store = Client();
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  // Not sorted by version: history is in the order things happened.
  std::vector<EventData> appended = {FullEvent(2, LM_EVENT_APPLY), FullEvent(1, LM_EVENT_FAIL),
                                     FullEvent(2, LM_EVENT_REVERT),
                                     FullEvent(std::numeric_limits<int64_t>::max(), LM_EVENT_BASELINE)};
  EventData sparse;
  sparse.version = 9;
  sparse.kind = LM_EVENT_MARK_PENDING;
  appended.push_back(sparse);
  for (const EventData& event : appended) ASSERT_EQ(store.Append(event), LM_OK) << store.message();

  std::vector<EventData> events;
  ASSERT_EQ(store.ListEvents(&events), LM_OK) << store.message();
  ASSERT_EQ(events.size(), appended.size());
  for (size_t i = 0; i + 1 < appended.size(); ++i) EXPECT_EQ(events[i], appended[i]) << i;
  const EventData& got = events.back();
  EXPECT_EQ(got.version, 9);
  EXPECT_EQ(got.kind, Text(LM_EVENT_MARK_PENDING));
  for (const Text* text : {&got.name, &got.at, &got.by, &got.detail, &got.run_id}) {
    EXPECT_TRUE(!text->has_value() || text->value().empty());
  }
}

TEST_F(StoreConformance, RollbackDiscardsPutsDeletesAndEvents) {
  REQUIRE_CAPABILITY(LM_STORE_CAP_TRANSACTIONS);
  StoreClient store = Client();
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  ASSERT_EQ(store.Put(FullRecord(1)), LM_OK) << store.message();

  ASSERT_EQ(store.Begin(), LM_OK) << store.message();
  ASSERT_EQ(store.Put(FullRecord(2)), LM_OK) << store.message();
  ASSERT_EQ(store.Delete(1), LM_OK) << store.message();
  if (Has(LM_STORE_CAP_HISTORY)) {
    ASSERT_EQ(store.Append(FullEvent(2, LM_EVENT_APPLY)), LM_OK) << store.message();
  }
  ASSERT_EQ(store.Rollback(), LM_OK) << store.message();

  std::vector<RecordData> records;
  ASSERT_EQ(store.List(&records), LM_OK) << store.message();
  EXPECT_EQ(records, std::vector<RecordData>{FullRecord(1)});
  if (Has(LM_STORE_CAP_HISTORY)) {
    std::vector<EventData> events;
    ASSERT_EQ(store.ListEvents(&events), LM_OK) << store.message();
    EXPECT_TRUE(events.empty());
  }
}

TEST_F(StoreConformance, CommitKeepsPutsDeletesAndEvents) {
  REQUIRE_CAPABILITY(LM_STORE_CAP_TRANSACTIONS);
  {
    StoreClient store = Client();
    ASSERT_EQ(store.Open(), LM_OK) << store.message();
    ASSERT_EQ(store.Put(FullRecord(1)), LM_OK) << store.message();
    ASSERT_EQ(store.Begin(), LM_OK) << store.message();
    ASSERT_EQ(store.Put(FullRecord(2)), LM_OK) << store.message();
    ASSERT_EQ(store.Delete(1), LM_OK) << store.message();
    if (Has(LM_STORE_CAP_HISTORY)) {
      ASSERT_EQ(store.Append(FullEvent(2, LM_EVENT_APPLY)), LM_OK) << store.message();
    }
    ASSERT_EQ(store.Commit(), LM_OK) << store.message();
  }
  StoreClient reopened = Client();
  ASSERT_EQ(reopened.Open(), LM_OK) << reopened.message();
  std::vector<RecordData> records;
  ASSERT_EQ(reopened.List(&records), LM_OK) << reopened.message();
  EXPECT_EQ(records, std::vector<RecordData>{FullRecord(2)});
  if (Has(LM_STORE_CAP_HISTORY)) {
    std::vector<EventData> events;
    ASSERT_EQ(reopened.ListEvents(&events), LM_OK) << reopened.message();
    EXPECT_EQ(events, std::vector<EventData>{FullEvent(2, LM_EVENT_APPLY)});
  }
}

// The runner asks after a failed commit: 0 then means nothing of the
// transaction stayed, so a store must never say 0 while one is open.
TEST_F(StoreConformance, InTransactionFollowsBeginCommitAndRollback) {
  REQUIRE_CAPABILITY(LM_STORE_CAP_TRANSACTIONS);
  if (!HasInTransaction(*api_)) GTEST_SKIP() << "the store was built before lm_store_api had in_transaction";
  StoreClient store = Client();
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  EXPECT_EQ(store.InTransaction(), 0) << "before begin";
  ASSERT_EQ(store.Begin(), LM_OK) << store.message();
  EXPECT_EQ(store.InTransaction(), 1) << "after begin";
  ASSERT_EQ(store.Put(FullRecord(1)), LM_OK) << store.message();
  EXPECT_EQ(store.InTransaction(), 1) << "after a put inside the transaction";
  ASSERT_EQ(store.Commit(), LM_OK) << store.message();
  EXPECT_EQ(store.InTransaction(), 0) << "after commit";
  ASSERT_EQ(store.Begin(), LM_OK) << store.message();
  EXPECT_EQ(store.InTransaction(), 1) << "after the second begin";
  ASSERT_EQ(store.Rollback(), LM_OK) << store.message();
  EXPECT_EQ(store.InTransaction(), 0) << "after rollback";
}

TEST_F(StoreConformance, CloseWithoutCommitKeepsNothing) {
  REQUIRE_CAPABILITY(LM_STORE_CAP_TRANSACTIONS);
  {
    StoreClient store = Client();
    ASSERT_EQ(store.Open(), LM_OK) << store.message();
    ASSERT_EQ(store.Begin(), LM_OK) << store.message();
    ASSERT_EQ(store.Put(FullRecord(2)), LM_OK) << store.message();
  }
  StoreClient reopened = Client();
  ASSERT_EQ(reopened.Open(), LM_OK) << reopened.message();
  std::vector<RecordData> records;
  ASSERT_EQ(reopened.List(&records), LM_OK) << reopened.message();
  EXPECT_TRUE(records.empty());
}

TEST_F(StoreConformance, NativeHandleOfUnknownKindIsNull) {
  REQUIRE_CAPABILITY(LM_STORE_CAP_NATIVE_HANDLE);
  StoreClient store = Client();
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  EXPECT_EQ(store.NativeHandle("no-such-kind"), nullptr);
}

// True when the connection has a table of that name.
bool HasTable(sqlite3* db, const char* table) {
  sqlite3_stmt* query = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?1", -1, &query, nullptr) !=
      SQLITE_OK) {
    return false;
  }
  sqlite3_bind_text(query, 1, table, -1, SQLITE_TRANSIENT);
  bool found = sqlite3_step(query) == SQLITE_ROW;
  sqlite3_finalize(query);
  return found;
}

class NativeHandleTransaction : public StoreConformance {
 protected:
  void SetUp() override {
    StoreConformance::SetUp();
    if (HasFatalFailure()) return;
    REQUIRE_CAPABILITY(LM_STORE_CAP_TRANSACTIONS);
    REQUIRE_CAPABILITY(LM_STORE_CAP_NATIVE_HANDLE);
  }

  // Creates a table through the handle inside a transaction with a record,
  // then commits or rolls back.
  void CreateTableAndRecord(StoreClient* store, bool commit) {
    ASSERT_EQ(store->Open(), LM_OK) << store->message();
    auto* db = static_cast<sqlite3*>(store->NativeHandle("sqlite3"));
    if (db == nullptr) GTEST_SKIP() << "the store has no \"sqlite3\" handle; only that kind is exercised";
    ASSERT_EQ(store->Begin(), LM_OK) << store->message();
    ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE conformance_users (id INTEGER)", nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    ASSERT_EQ(store->Put(FullRecord(1)), LM_OK) << store->message();
    ASSERT_EQ(commit ? store->Commit() : store->Rollback(), LM_OK) << store->message();
  }
};

TEST_F(NativeHandleTransaction, RollbackUndoesHandleWork) {
  StoreClient store = Client();
  CreateTableAndRecord(&store, /*commit=*/false);
  if (IsSkipped() || HasFatalFailure()) return;
  auto* db = static_cast<sqlite3*>(store.NativeHandle("sqlite3"));
  EXPECT_FALSE(HasTable(db, "conformance_users"));
  std::vector<RecordData> records;
  ASSERT_EQ(store.List(&records), LM_OK) << store.message();
  EXPECT_TRUE(records.empty());
}

TEST_F(NativeHandleTransaction, CommitKeepsHandleWork) {
  {
    StoreClient store = Client();
    CreateTableAndRecord(&store, /*commit=*/true);
    if (IsSkipped() || HasFatalFailure()) return;
  }
  StoreClient reopened = Client();
  ASSERT_EQ(reopened.Open(), LM_OK) << reopened.message();
  EXPECT_TRUE(HasTable(static_cast<sqlite3*>(reopened.NativeHandle("sqlite3")), "conformance_users"));
  std::vector<RecordData> records;
  ASSERT_EQ(reopened.List(&records), LM_OK) << reopened.message();
  EXPECT_EQ(records, std::vector<RecordData>{FullRecord(1)});
}

class Locking : public StoreConformance {
 protected:
  void SetUp() override {
    StoreConformance::SetUp();
    if (HasFatalFailure()) return;
    REQUIRE_CAPABILITY(LM_STORE_CAP_LOCKING);
    // Create the store first, so that children only open it.
    StoreClient store = Client();
    ASSERT_EQ(store.Open(), LM_OK) << store.message();
  }

  // Make probers before taking a lock (see LockProber).
  std::unique_ptr<LockProber> Prober() { return std::make_unique<LockProber>(api_, options_, dir_.path()); }
};

TEST_F(Locking, SecondProcessTimesOutNamingTheHoldersPid) {
  LockHolder holder;
  std::string error;
  ASSERT_TRUE(holder.Start(api_, options_, dir_.path(), &error)) << error;

  StoreClient store = Client();
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  EXPECT_EQ(store.Lock(100), LM_ERR_LOCK_TIMEOUT) << store.message();
  EXPECT_NE(store.message().find(std::to_string(holder.pid())), std::string::npos)
      << "message does not name holder pid " << holder.pid() << ": " << store.message();
}

TEST_F(Locking, TimeoutIsHonoured) {
  LockHolder holder;
  std::string error;
  ASSERT_TRUE(holder.Start(api_, options_, dir_.path(), &error)) << error;

  StoreClient store = Client();
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(store.Lock(300), LM_ERR_LOCK_TIMEOUT) << store.message();
  auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(waited, 250) << "gave up before the timeout";
  EXPECT_LT(waited, 5000) << "the timeout was not honoured";
}

TEST_F(Locking, ZeroTimeoutTriesOnceWhileAnotherProcessHolds) {
  auto prober = Prober();
  StoreClient store = Client();
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  ASSERT_EQ(store.Lock(0), LM_OK) << store.message();

  LockProbe probe = prober->Run(0);
  ASSERT_TRUE(probe.ran) << probe.message;
  EXPECT_EQ(probe.code, LM_ERR_LOCK_TIMEOUT) << probe.message;
  EXPECT_NE(probe.message.find(std::to_string(getpid())), std::string::npos)
      << "message does not name holder pid " << getpid() << ": " << probe.message;
  EXPECT_LT(probe.elapsed_ms, 2000);
}

TEST_F(Locking, KilledHolderReleasesTheLock) {
  LockHolder holder;
  std::string error;
  ASSERT_TRUE(holder.Start(api_, options_, dir_.path(), &error)) << error;
  StoreClient store = Client();
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  ASSERT_EQ(store.Lock(0), LM_ERR_LOCK_TIMEOUT) << store.message();

  holder.Kill();
  // The store may need a moment to notice; it must not need a human.
  EXPECT_EQ(store.Lock(10000), LM_OK) << store.message();
}

TEST_F(Locking, WaiterGetsTheLockWhenTheHolderReleases) {
  LockHolder holder;
  std::string error;
  ASSERT_TRUE(holder.Start(api_, options_, dir_.path(), &error)) << error;
  ASSERT_TRUE(holder.Release());
  StoreClient store = Client();
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  EXPECT_EQ(store.Lock(-1), LM_OK) << store.message();
}

TEST_F(Locking, UnlockThenRelock) {
  auto first_prober = Prober();
  auto second_prober = Prober();
  StoreClient store = Client();
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  ASSERT_EQ(store.Lock(0), LM_OK) << store.message();
  ASSERT_EQ(store.Unlock(), LM_OK) << store.message();

  LockProbe probe = first_prober->Run(5000);  // another process can take it now
  ASSERT_TRUE(probe.ran) << probe.message;
  EXPECT_EQ(probe.code, LM_OK) << probe.message;

  EXPECT_EQ(store.Lock(5000), LM_OK) << store.message();
  probe = second_prober->Run(0);
  ASSERT_TRUE(probe.ran) << probe.message;
  EXPECT_EQ(probe.code, LM_ERR_LOCK_TIMEOUT) << probe.message;
}

TEST_F(Locking, CloseReleasesTheLock) {
  auto prober = Prober();
  StoreClient store = Client();
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  ASSERT_EQ(store.Lock(0), LM_OK) << store.message();
  store.Close();

  LockProbe probe = prober->Run(5000);
  ASSERT_TRUE(probe.ran) << probe.message;
  EXPECT_EQ(probe.code, LM_OK) << probe.message;
}

}  // namespace
}  // namespace lm::store_test
