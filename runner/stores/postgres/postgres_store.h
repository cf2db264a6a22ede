// The postgres store: records and history in tables of the target
// PostgreSQL database itself, so that a migration's SQL, run through the
// native handle ("libpq": the store's PGconn*), and the record of it commit
// in one transaction. PostgreSQL DDL is transactional, so a failed
// migration leaves neither its tables nor its record.
//
//   <schema>.<prefix>records  one row per version (PRIMARY KEY version)
//   <schema>.<prefix>events   append-only history, in insertion (id) order
//   <schema>.<prefix>lock     the lease lock's one row ("lease" mode only)
//
// Columns are those of the sqlite store. Options: postgres_options.h. The
// run lock: run_lock.h. Every message leaving the store goes through its
// Redactor, so no password is ever shown.
#ifndef LINK_MIGRATION_STORES_POSTGRES_POSTGRES_STORE_H
#define LINK_MIGRATION_STORES_POSTGRES_POSTGRES_STORE_H

#include <link_migration/store.h>

#include <memory>
#include <string>

#include "common/owner.h"
#include "common/store.h"
#include "postgres/connection.h"
#include "postgres/postgres_options.h"
#include "postgres/redactor.h"
#include "postgres/run_lock.h"

namespace lm::stores {

class PostgresStore : public Store {
 public:
  static Status Open(const lm_store_open_args& args, std::unique_ptr<Store>* out);
  ~PostgresStore() override;

  Status ListRecords(const RecordVisitor& visit) override;
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
  struct Found {
    bool schema = false;
    bool records = false;
    bool events = false;
    bool lock = false;
  };
  // How the last transaction begun through Begin ended, when not by
  // Commit or Rollback.
  enum class Transaction { kNone, kOpen, kRolledBack };

  PostgresStore(PostgresOptions options, Owner owner, bool read_only, Redactor redactor);

  Status Connect();
  Status FindTables(Found* found);
  Status CreateTables();
  Status CreateMissing(const Found& found);
  // Read-only stores may lack the tables; they then list nothing.
  Status TablesReady(bool* ready);
  Status RequireWritable(const char* operation) const;
  // Writable, and the run lock, if held, not known to be lost.
  Status BeforeChange(const char* operation);
  Status DoListRecords(const RecordVisitor& visit);
  Status DoListEvents(const EventVisitor& visit);
  Status DoCommit();
  Status DoRollback();
  void RollbackQuietly();

  const PostgresOptions options_;
  const Owner owner_;
  const bool read_only_;
  const Redactor redactor_;
  const std::string records_table_;  // schema-qualified, quoted
  const std::string events_table_;
  const std::string lock_table_;
  std::string where_;  // "database \"app\" on host:5432, schema \"public\"", for messages

  // The lock may use the connection, so it is declared after it and the
  // destructor closes the connection first (ending any transaction).
  std::unique_ptr<PgConnection> connection_;
  std::unique_ptr<PgRunLock> lock_;  // NULL when read-only: nothing to exclude
  bool tables_exist_ = false;
  Transaction transaction_ = Transaction::kNone;
};

}  // namespace lm::stores

#endif  // LINK_MIGRATION_STORES_POSTGRES_POSTGRES_STORE_H
