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
#include "sqlite/statement.h"

namespace lm::stores {

class SqliteStore : public Store {
 public:
  // Options: {"database": "<path>", "table_prefix": "link_migration_"}.
  static Status Open(const lm_store_open_args& args, std::unique_ptr<Store>* out);
  ~SqliteStore() override;

  Status ListRecords(const RecordVisitor& visit) override;
  Status PutRecord(const Record& record) override;
  Status DeleteRecord(int64_t version) override;
  Status AppendEvent(const Event& event) override;
  Status ListEvents(const EventVisitor& visit) override;
  Status Begin() override;
  Status Commit() override;
  Status Rollback() override;
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
  Status Prepare(Statement* statement, const std::string& sql, const char* what);
  // A failure of `what`, with SQLite's message; `rc` picks the lm_result.
  Status Failure(const char* what, int rc) const;

  const std::string path_;
  const std::string records_table_;  // quoted identifiers
  const std::string events_table_;
  const bool read_only_;
  RunLock lock_;
  // NULL only for a read-only open of a database that does not exist.
  sqlite3* db_ = nullptr;
};

}  // namespace lm::stores

#endif  // LINK_MIGRATION_STORES_SQLITE_SQLITE_STORE_H
