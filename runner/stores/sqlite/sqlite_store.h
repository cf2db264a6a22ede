// The sqlite store: records and history in two tables of the target SQLite
// database itself, so that a migration's SQL, run through the native handle,
// and the record of it commit in one transaction.
//
//   <prefix>records  one row per version (PRIMARY KEY version)
//   <prefix>events   append-only history, in insertion (id) order
//
// The database runs in WAL mode with a busy timeout, so the application and
// a status command can read while a migration writes, and writers queue
// instead of failing with "database is locked".
#ifndef LINK_MIGRATION_STORES_SQLITE_SQLITE_STORE_H
#define LINK_MIGRATION_STORES_SQLITE_SQLITE_STORE_H

#include <link_migration/store.h>
#include <sqlite3.h>

#include <memory>
#include <string>

#include "common/run_lock.h"
#include "common/store.h"
#include "sqlite/quiet_read.h"
#include "sqlite/statement.h"

namespace lm::stores {

class SqliteStore : public Store {
 public:
  // Options: {"database": "<path>", "table_prefix": "link_migration_"}.
  static Status Open(const lm_store_open_args& args, std::unique_ptr<Store>* out);
  ~SqliteStore() override;

  Status ListRecords(const RecordVisitor& visit) override;
  Status ListRecordViews(const RecordViewVisitor& visit) override;
  Status PutRecord(const Record& record) override;
  Status DeleteRecord(int64_t version) override;
  Status AppendEvent(const Event& event) override;
  Status ListEvents(const EventVisitor& visit) override;
  Status Begin() override;
  Status Commit() override;
  Status Rollback() override;
  int32_t InTransaction() override;
  Status Lock(int64_t timeout_ms) override;
  Status Unlock() override;
  void* NativeHandle(const char* kind) override;

 private:
  SqliteStore(std::string path, const std::string& prefix, bool read_only, const Owner& owner);

  Status Connect();
  Status Configure();
  Status SwitchToWal();
  Status CreateTables();
  // Read-only stores may lack the tables; they then list nothing.
  Status TablesExist(bool* exist);
  Status RequireWritable(const char* operation) const;

  Status Exec(const std::string& sql, const char* what);
  Status Prepare(Statement* statement, const std::string& sql, const char* what, unsigned int flags = 0);
  // Runs one of the kept statements below (a statement of no rows), preparing
  // it first if it is not yet; leaves it released (Statement::Release).
  // `bind` binds its parameters.
  template <class Bind>
  Status RunKept(Statement* statement, const std::string& sql, const char* what, Bind bind);
  // A failure of `what`, with SQLite's message; `rc` picks the lm_result.
  Status Failure(const char* what, int rc) const;

  const std::string path_;
  const std::string records_table_;  // quoted identifiers
  const std::string events_table_;
  const bool read_only_;
  RunLock lock_;
  // A read-only open's: released after db_ is closed.
  QuietRead quiet_read_;
  // NULL only for a read-only open of a database that does not exist.
  sqlite3* db_ = nullptr;

  // What every step runs, prepared once for the connection's life instead of
  // once per step. A schema change (a migration's CREATE TABLE) makes SQLite
  // prepare the two inserts again by itself, at the cost of a fresh prepare;
  // BEGIN and COMMIT never need it.
  const std::string put_record_sql_;
  const std::string append_event_sql_;
  Statement put_record_;
  Statement append_event_;
  Statement begin_;
  Statement commit_;
};

}  // namespace lm::stores

#endif  // LINK_MIGRATION_STORES_SQLITE_SQLITE_STORE_H
