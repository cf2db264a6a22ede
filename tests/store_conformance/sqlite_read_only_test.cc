// A read-only open of the sqlite store (status, dry runs) creates nothing
// beside the database when no other connection has it open, and still reads
// every committed change: while another connection writes, and from a WAL
// left by a connection that ended without closing.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "store_harness.h"
#include "support/temp_dir.h"

namespace lm::store_test {
namespace {

namespace fs = std::filesystem;

class SqliteReadOnly : public testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    api_ = LoadStore(LM_SQLITE_STORE, &error);
    ASSERT_NE(api_, nullptr) << error;
    // Version 1 recorded as "first" by a read-write open, closed again: the
    // last connection to close removes its -wal and -shm.
    StoreClient store(api_, kOptions, dir_.path().string());
    ASSERT_EQ(store.Open(), LM_OK) << store.message();
    RecordData record;
    record.version = 1;
    record.name = "first";
    ASSERT_EQ(store.Put(record), LM_OK) << store.message();
  }

  std::string Database() const { return (dir_ / "app.db").string(); }
  bool Exists(const char* suffix) const { return fs::exists(Database() + suffix); }

  // The name of version 1 as a read-only open lists it.
  std::string ReadName() {
    StoreClient store(api_, kOptions, dir_.path().string());
    if (store.Open(/*read_only=*/true) != LM_OK) return "open failed: " + store.message();
    std::vector<RecordData> records;
    if (store.List(&records) != LM_OK) return "list failed: " + store.message();
    if (records.size() != 1 || !records[0].name) return "not one named record";
    return *records[0].name;
  }

  static constexpr const char* kOptions = R"({"database": "app.db"})";
  const lm_store_api* api_ = nullptr;
  lm::test::TempDir dir_;
};

// A connection of the test's own.
class Connection {
 public:
  explicit Connection(const std::string& path) { sqlite3_open(path.c_str(), &db_); }
  ~Connection() { sqlite3_close(db_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  bool Exec(const std::string& sql) { return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK; }
  std::string Error() const { return sqlite3_errmsg(db_); }

 private:
  sqlite3* db_ = nullptr;
};

TEST_F(SqliteReadOnly, CreatesNothingBesideTheDatabase) {
  ASSERT_FALSE(Exists("-wal"));
  ASSERT_FALSE(Exists("-shm"));
  EXPECT_EQ(ReadName(), "first");
  EXPECT_FALSE(Exists("-wal"));
  EXPECT_FALSE(Exists("-shm"));
  EXPECT_FALSE(Exists("-journal"));
}

TEST_F(SqliteReadOnly, ReadsTheCommittedStateWhileAnotherConnectionWrites) {
  Connection writer(Database());
  // Committed, but only in the WAL so far; then a change not committed.
  ASSERT_TRUE(writer.Exec("PRAGMA wal_autocheckpoint=0")) << writer.Error();
  ASSERT_TRUE(writer.Exec("UPDATE link_migration_records SET name = 'committed' WHERE version = 1")) << writer.Error();
  ASSERT_TRUE(writer.Exec("BEGIN IMMEDIATE")) << writer.Error();
  ASSERT_TRUE(writer.Exec("UPDATE link_migration_records SET name = 'uncommitted' WHERE version = 1"))
      << writer.Error();
  EXPECT_EQ(ReadName(), "committed");
  ASSERT_TRUE(writer.Exec("ROLLBACK")) << writer.Error();
}

TEST_F(SqliteReadOnly, ReadsAWalLeftByAConnectionThatNeverClosed) {
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    sqlite3* db = nullptr;
    const bool done = sqlite3_open(Database().c_str(), &db) == SQLITE_OK &&
                      sqlite3_exec(db, "PRAGMA wal_autocheckpoint=0; UPDATE link_migration_records SET name = 'in the "
                                       "wal' WHERE version = 1",
                                   nullptr, nullptr, nullptr) == SQLITE_OK;
    _exit(done ? 0 : 1);  // no close: the commit stays in the WAL alone, as after a crash
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_TRUE(Exists("-wal"));
  EXPECT_EQ(ReadName(), "in the wal");
}

}  // namespace
}  // namespace lm::store_test
