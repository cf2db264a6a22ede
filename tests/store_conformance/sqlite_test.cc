// Tests of sqlite.so beyond the conformance suite: what it does to the
// database (WAL, tables, busy timeout), read-only opens, and its options.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <future>
#include <mutex>
#include <string>

#include "store_harness.h"

namespace lm::store_test {
namespace {

// A connection of the test's own, independent of the store's.
class Database {
 public:
  explicit Database(const std::string& path) { sqlite3_open(path.c_str(), &db_); }
  ~Database() { sqlite3_close(db_); }
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // The first column of the first row, or "<none>"; errors as "error: ...".
  std::string Query(const std::string& sql) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
      return std::string("error: ") + sqlite3_errmsg(db_);
    }
    std::string result = "<none>";
    if (sqlite3_step(statement) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(statement, 0);
      result = text ? reinterpret_cast<const char*>(text) : "NULL";
    }
    sqlite3_finalize(statement);
    return result;
  }

  bool Exec(const std::string& sql) { return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK; }
  std::string Error() const { return sqlite3_errmsg(db_); }
  // Lets a statement wait up to `ms` for another connection's lock (SQLite's
  // busy handler) instead of failing at once with SQLITE_BUSY.
  void WaitWhenBusy(int ms) { sqlite3_busy_timeout(db_, ms); }

 private:
  sqlite3* db_ = nullptr;
};

// While it exists, the database files opened in this process (the store
// plugin shares the test's libsqlite3) go through a wrapper of the default
// VFS that reports each refused request for the write lock (SQLITE_BUSY on
// a RESERVED lock): the event "a connection tried to write while another
// held the lock", which a test waits for instead of sleeping. Files opened
// before it keep the plain VFS. One at a time.
class WriteLockRefusals {
 public:
  WriteLockRefusals() : base_(sqlite3_vfs_find(nullptr)), vfs_(*base_) {
    instance_ = this;
    vfs_.zName = "lm-test-write-lock-refusals";
    vfs_.xOpen = &Open;
    sqlite3_vfs_register(&vfs_, /*makeDflt=*/1);
  }
  ~WriteLockRefusals() {
    sqlite3_vfs_unregister(&vfs_);
    sqlite3_vfs_register(base_, /*makeDflt=*/1);
    std::lock_guard<std::mutex> hold(mutex_);
    instance_ = nullptr;
  }
  WriteLockRefusals(const WriteLockRefusals&) = delete;
  WriteLockRefusals& operator=(const WriteLockRefusals&) = delete;

  // True once a request was refused; false if none was within `timeout`.
  bool WaitForOne(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> hold(mutex_);
    return refused_.wait_for(hold, timeout, [this] { return refusals_ > 0; });
  }

 private:
  // The base VFS fills in the file; only its lock method is swapped for
  // Lock, which calls the base's own on the same file.
  static int Open(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* out_flags) {
    const int rc = instance_->base_->xOpen(instance_->base_, name, file, flags, out_flags);
    if (rc != SQLITE_OK || file->pMethods == nullptr || (flags & SQLITE_OPEN_MAIN_DB) == 0) return rc;
    std::lock_guard<std::mutex> hold(mutex_);
    if (base_methods_ == nullptr) {
      base_methods_ = file->pMethods;
      methods_ = *file->pMethods;
      methods_.xLock = &Lock;
    }
    if (file->pMethods == base_methods_) file->pMethods = &methods_;
    return rc;
  }

  static int Lock(sqlite3_file* file, int level) {
    const int rc = base_methods_->xLock(file, level);
    if (level == SQLITE_LOCK_RESERVED && (rc & 0xff) == SQLITE_BUSY) {
      std::lock_guard<std::mutex> hold(mutex_);
      if (instance_ != nullptr) {
        ++instance_->refusals_;
        instance_->refused_.notify_all();
      }
    }
    return rc;
  }

  // Files opened through the wrapper may outlive it: what they call stays.
  static inline std::mutex mutex_;
  static inline WriteLockRefusals* instance_ = nullptr;
  static inline const sqlite3_io_methods* base_methods_ = nullptr;
  static inline sqlite3_io_methods methods_{};

  sqlite3_vfs* base_;
  sqlite3_vfs vfs_;
  std::condition_variable refused_;
  int refusals_ = 0;
};

class SqliteStore : public testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    api_ = LoadStore(LM_SQLITE_STORE, &error);
    ASSERT_NE(api_, nullptr) << error;
  }

  StoreClient Client(const std::string& options = R"({"database": "app.db"})") {
    return StoreClient(api_, options, dir_.path());
  }
  std::string DbPath() const { return (dir_ / "app.db").string(); }

  const lm_store_api* api_ = nullptr;
  TempDir dir_;
};

TEST_F(SqliteStore, PutsTheDatabaseInWalMode) {
  StoreClient store = Client();
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  Database db(DbPath());
  EXPECT_EQ(db.Query("PRAGMA journal_mode"), "wal");
}

TEST_F(SqliteStore, WaitsForOtherWritersInsteadOfFailing) {
  StoreClient store = Client();
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  auto* db = static_cast<sqlite3*>(store.NativeHandle("sqlite3"));
  ASSERT_NE(db, nullptr);
  sqlite3_stmt* statement = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA busy_timeout", -1, &statement, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(statement), SQLITE_ROW);
  EXPECT_GE(sqlite3_column_int(statement, 0), 1000);
  sqlite3_finalize(statement);
}

// Another connection writing to a database that is not in WAL mode yet must
// not fail the switch. The switch asks for the write lock from inside a read
// transaction, where SQLite returns SQLITE_BUSY at once instead of calling
// the busy handler, so the store waits on its own. (Seen in CI: eight runners
// started together on a new database, some failed with "database is locked".)
//
// The writer commits only once the store was refused the write lock, so the
// switch surely meets the write; and its COMMIT waits (busy timeout) for the
// read lock the store holds during each attempt: failing at once, it would
// keep the pending lock and shut the store out until its deadline.
TEST_F(SqliteStore, SwitchesToWalWhileAnotherConnectionWrites) {
  Database writer(DbPath());
  ASSERT_TRUE(writer.Exec("CREATE TABLE users (id INTEGER)"));
  ASSERT_EQ(writer.Query("PRAGMA journal_mode"), "delete");
  ASSERT_TRUE(writer.Exec("BEGIN IMMEDIATE"));
  ASSERT_TRUE(writer.Exec("INSERT INTO users VALUES (1)"));
  writer.WaitWhenBusy(10000);

  WriteLockRefusals refusals;
  StoreClient store = Client();
  std::future<lm_result> opening = std::async(std::launch::async, [&store] { return store.Open(); });
  const bool store_was_refused = refusals.WaitForOne(std::chrono::seconds(10));
  const bool committed = writer.Exec("COMMIT");
  const lm_result opened = opening.get();
  EXPECT_TRUE(store_was_refused) << "the store never asked for the write lock while the writer held it";
  ASSERT_TRUE(committed) << writer.Error();
  ASSERT_EQ(opened, LM_OK) << store.message();
  EXPECT_EQ(Database(DbPath()).Query("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(Database(DbPath()).Query("SELECT count(*) FROM users"), "1");
  ASSERT_EQ(store.Put(FullRecord(1)), LM_OK) << store.message();
}

// The store keeps its record, event, BEGIN and COMMIT statements prepared
// for the connection's life. Every migration changes the schema, through
// the store's own connection or another one; the kept statements must follow
// (SQLite prepares them again), and a failure must say what failed.
TEST_F(SqliteStore, KeptStatementsFollowSchemaChanges) {
  StoreClient store = Client();
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  auto* db = static_cast<sqlite3*>(store.NativeHandle("sqlite3"));
  ASSERT_NE(db, nullptr);
  for (int64_t version = 1; version <= 3; ++version) {
    ASSERT_EQ(store.Begin(), LM_OK) << store.message();
    const std::string table = "CREATE TABLE t" + std::to_string(version) + " (id INTEGER)";
    ASSERT_EQ(sqlite3_exec(db, table.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    ASSERT_EQ(store.Append(FullEvent(version, LM_EVENT_APPLY)), LM_OK) << store.message();
    ASSERT_EQ(store.Put(FullRecord(version)), LM_OK) << store.message();
    ASSERT_EQ(store.Commit(), LM_OK) << store.message();
  }
  Database other(DbPath());
  ASSERT_TRUE(other.Exec("CREATE TABLE from_elsewhere (id INTEGER)"));
  ASSERT_TRUE(other.Exec("ALTER TABLE link_migration_events ADD COLUMN note TEXT"));
  ASSERT_EQ(store.Append(FullEvent(4, LM_EVENT_APPLY)), LM_OK) << store.message();
  ASSERT_EQ(store.Put(FullRecord(4)), LM_OK) << store.message();
  EXPECT_EQ(other.Query("SELECT count(*) FROM link_migration_records"), "4");
  EXPECT_EQ(other.Query("SELECT count(*) FROM link_migration_events"), "4");

  ASSERT_TRUE(other.Exec("DROP TABLE link_migration_records"));
  EXPECT_EQ(store.Put(FullRecord(5)), LM_ERROR);
  EXPECT_NE(store.message().find("cannot store a record"), std::string::npos) << store.message();
  EXPECT_NE(store.message().find("no such table"), std::string::npos) << store.message();
}

// Between calls a kept statement is reset: it holds no read of the database,
// so another connection can checkpoint the whole WAL away, and it keeps
// nothing of the caller's values.
TEST_F(SqliteStore, KeptStatementsHoldNoReadBetweenCalls) {
  StoreClient store = Client();
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  ASSERT_EQ(store.Begin(), LM_OK) << store.message();
  ASSERT_EQ(store.Put(FullRecord(1)), LM_OK) << store.message();
  ASSERT_EQ(store.Commit(), LM_OK) << store.message();
  ASSERT_EQ(store.Append(FullEvent(1, LM_EVENT_APPLY)), LM_OK) << store.message();
  Database other(DbPath());
  // busy, log frames, frames checkpointed: "0" when nothing held it back.
  EXPECT_EQ(other.Query("PRAGMA wal_checkpoint(TRUNCATE)"), "0");
  auto* db = static_cast<sqlite3*>(store.NativeHandle("sqlite3"));
  ASSERT_NE(db, nullptr);
  for (sqlite3_stmt* kept = sqlite3_next_stmt(db, nullptr); kept != nullptr; kept = sqlite3_next_stmt(db, kept)) {
    EXPECT_FALSE(sqlite3_stmt_busy(kept)) << sqlite3_sql(kept);
    // Cleared parameters expand to NULL; a text still bound would show quoted.
    char* expanded = sqlite3_expanded_sql(kept);
    ASSERT_NE(expanded, nullptr);
    EXPECT_EQ(std::string(expanded).find('\''), std::string::npos) << expanded;
    sqlite3_free(expanded);
  }
}

TEST_F(SqliteStore, NativeHandleIsAConnectionToTheDatabase) {
  StoreClient store = Client();
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  auto* db = static_cast<sqlite3*>(store.NativeHandle("sqlite3"));
  ASSERT_NE(db, nullptr);
  const char* file = sqlite3_db_filename(db, "main");
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(std::string(file), DbPath());
  EXPECT_EQ(store.NativeHandle("libpq"), nullptr);
}

TEST_F(SqliteStore, KeepsReadableTablesWithTheDefaultPrefix) {
  StoreClient store = Client();
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  ASSERT_EQ(store.Put(FullRecord(4)), LM_OK) << store.message();
  ASSERT_EQ(store.Append(FullEvent(4, LM_EVENT_APPLY)), LM_OK) << store.message();
  Database db(DbPath());
  EXPECT_EQ(db.Query("SELECT state FROM link_migration_records WHERE version = 4"), "applied");
  EXPECT_EQ(db.Query("SELECT checksum FROM link_migration_records"), *FullRecord(4).checksum);
  EXPECT_EQ(db.Query("SELECT kind || ' ' || done_by FROM link_migration_events"), "apply alice@host1");
}

TEST_F(SqliteStore, TablePrefixNamesTheTables) {
  StoreClient store = Client(R"({"database": "app.db", "table_prefix": "ops_"})");
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  ASSERT_EQ(store.Put(FullRecord(1)), LM_OK) << store.message();
  Database db(DbPath());
  EXPECT_EQ(db.Query("SELECT count(*) FROM ops_records"), "1");
  EXPECT_EQ(db.Query("SELECT count(*) FROM ops_events"), "0");
  EXPECT_EQ(db.Query("SELECT count(*) FROM sqlite_master WHERE name LIKE 'link_migration_%'"), "0");
}

TEST_F(SqliteStore, UnknownStateInTheTableIsCorrupt) {
  {
    StoreClient store = Client();
    ASSERT_EQ(store.Open(), LM_OK) << store.message();
    ASSERT_EQ(store.Put(FullRecord(4)), LM_OK) << store.message();
  }
  Database db(DbPath());
  ASSERT_TRUE(db.Exec("UPDATE link_migration_records SET state = 'done'"));
  StoreClient store = Client();
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  std::vector<RecordData> records;
  EXPECT_EQ(store.List(&records), LM_ERR_CORRUPT);
  EXPECT_NE(store.message().find(DbPath()), std::string::npos) << store.message();
  EXPECT_NE(store.message().find("\"done\""), std::string::npos) << store.message();
}

TEST_F(SqliteStore, ReadOnlyOpenDoesNotCreateTables) {
  {
    Database db(DbPath());
    ASSERT_TRUE(db.Exec("CREATE TABLE users (id INTEGER)"));
  }
  StoreClient store = Client();
  ASSERT_EQ(store.Open(/*read_only=*/true), LM_OK) << store.message();
  std::vector<RecordData> records;
  ASSERT_EQ(store.List(&records), LM_OK) << store.message();
  EXPECT_TRUE(records.empty());
  std::vector<EventData> events;
  ASSERT_EQ(store.ListEvents(&events), LM_OK) << store.message();
  EXPECT_TRUE(events.empty());
  EXPECT_NE(store.Put(FullRecord(1)), LM_OK);
  EXPECT_NE(store.message().find("read-only"), std::string::npos) << store.message();
  store.Close();

  Database db(DbPath());
  EXPECT_EQ(db.Query("SELECT group_concat(name) FROM sqlite_master WHERE type = 'table'"), "users");
}

TEST_F(SqliteStore, NotADatabaseIsCorruptAndNamed) {
  std::ofstream(DbPath()) << "this is not a database, just some text that is long enough to "
                             "fill a header of one hundred bytes, which SQLite checks first.";
  for (bool read_only : {false, true}) {
    SCOPED_TRACE(read_only ? "read-only" : "read-write");
    StoreClient store = Client();
    EXPECT_EQ(store.Open(read_only), LM_ERR_CORRUPT) << store.message();
    EXPECT_NE(store.message().find(DbPath()), std::string::npos) << store.message();
  }
}

TEST_F(SqliteStore, LockFileSitsNextToTheDatabase) {
  StoreClient store = Client();
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  ASSERT_EQ(store.Lock(0), LM_OK) << store.message();
  EXPECT_EQ(access((DbPath() + ".lock").c_str(), F_OK), 0);

  LockProbe probe = ProbeLock(api_, R"({"database": "app.db"})", dir_.path(), 0);
  ASSERT_TRUE(probe.ran) << probe.message;
  EXPECT_EQ(probe.code, LM_ERR_LOCK_TIMEOUT);
  EXPECT_NE(probe.message.find("lock on " + DbPath() + ".lock is held by conformance@"), std::string::npos)
      << probe.message;
  EXPECT_NE(probe.message.find("(run conformance-run-" + std::to_string(getpid()) + ") since 2026-11-21T21:17:47Z"),
            std::string::npos)
      << probe.message;
}

struct OptionsCase {
  const char* name;
  const char* options;
  const char* key;       // what open names for the runner (lm_store_open_args.option_key)
  const char* expected;  // part of the message
};

class SqliteOptions : public SqliteStore, public testing::WithParamInterface<OptionsCase> {};

TEST_P(SqliteOptions, AreRejectedNamingTheKey) {
  StoreClient store = Client(GetParam().options);
  EXPECT_EQ(store.Open(), LM_ERR_OPTION) << store.message();
  EXPECT_EQ(store.option_key(), GetParam().key);
  EXPECT_NE(store.message().find(GetParam().expected), std::string::npos) << store.message();
  EXPECT_TRUE(dir_.Entries().empty());
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SqliteOptions,
    testing::Values(OptionsCase{"MissingDatabase", "{}", "database", "sqlite store option \"database\" is missing"},
                    OptionsCase{"DatabaseNotString", R"({"database": true})", "database",
                                "option \"database\" must be a string, got boolean"},
                    OptionsCase{"PrefixNotString", R"({"database": "app.db", "table_prefix": 1})", "table_prefix",
                                "option \"table_prefix\" must be a string"},
                    OptionsCase{"PrefixWithSql", R"({"database": "app.db", "table_prefix": "x\"; DROP"})",
                                "table_prefix", "option \"table_prefix\" may hold only letters, digits and underscores"},
                    OptionsCase{"UnknownKey", R"({"database": "app.db", "path": "x"})", "path",
                                "option \"path\" is unknown (known options: database, table_prefix)"},
                    OptionsCase{"NotObject", R"(["app.db"])", "", "must be a JSON object, got array"}),
    [](const testing::TestParamInfo<OptionsCase>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace lm::store_test
