#include "postgres/postgres_store.h"

#include <cstring>
#include <utility>

#include "postgres/advisory_lock.h"
#include "postgres/lease_lock.h"

namespace lm::stores {

namespace {

// The server notices a client that went away while a query runs only when
// it next talks to it, unless told to check; then a killed runner's backend
// (and the advisory lock it holds) goes within this many milliseconds, even
// in the middle of a long statement. PostgreSQL 14 and later.
constexpr char kClientCheckIntervalMs[] = "2000";
constexpr int kClientCheckMinServerVersion = 140000;

// How long creating the tables may wait for another session's locks.
constexpr char kDdlLockTimeout[] = "30s";

constexpr char kRecordColumns[] =
    "version, state, name, checksum, applied_at, duration_ms, applied_by, runner_version, "
    "error, changelog_path, attempts, run_id";
constexpr char kEventColumns[] = "version, kind, name, at, done_by, duration_ms, detail, run_id";

std::string Qualified(const PostgresOptions& options, const char* table) {
  return QuoteIdentifier(options.schema) + "." + QuoteIdentifier(options.table_prefix + table);
}

std::string Number(int64_t value) { return std::to_string(value); }

}  // namespace

PostgresStore::PostgresStore(PostgresOptions options, Owner owner, bool read_only, Redactor redactor)
    : options_(std::move(options)),
      owner_(std::move(owner)),
      read_only_(read_only),
      redactor_(std::move(redactor)),
      records_table_(Qualified(options_, "records")),
      events_table_(Qualified(options_, "events")),
      lock_table_(Qualified(options_, "lock")) {}

PostgresStore::~PostgresStore() {
  // Closing the connection rolls back a transaction left open and frees an
  // advisory lock; then a lease is released on its own connection.
  connection_.reset();
  lock_.reset();
}

Status PostgresStore::Open(const lm_store_open_args& args, std::unique_ptr<Store>* out) {
  Redactor redactor;
  PostgresOptions options;
  Status parsed = ParsePostgresOptions(args.options_json, &options, &redactor);
  if (!parsed.ok()) return redactor.Apply(parsed);

  std::unique_ptr<PostgresStore> store(
      new PostgresStore(std::move(options), OwnerFromArgs(args.owner), args.read_only != 0, std::move(redactor)));
  Status connected = store->Connect();
  if (!connected.ok()) return store->redactor_.Apply(connected);
  *out = std::move(store);
  return Status::Ok();
}

Status PostgresStore::Connect() {
  const ConnectParams params{options_.conninfo, options_.password, ApplicationName(owner_)};
  LM_STORES_RETURN_IF_ERROR(PgConnection::Open(params, &connection_));
  where_ = connection_->Describe() + ", schema " + QuoteIdentifier(options_.schema);

  Found found;
  LM_STORES_RETURN_IF_ERROR(FindTables(&found));
  if (read_only_) {
    tables_exist_ = found.records && found.events;
    return Status::Ok();
  }
  bool complete = found.records && found.events && (options_.lock != LockMode::kLease || found.lock);
  if (!complete) LM_STORES_RETURN_IF_ERROR(CreateTables());
  tables_exist_ = true;

  const int64_t advisory_key = AdvisoryLockKey("link-migration run lock", options_.schema, options_.table_prefix);
  if (options_.lock == LockMode::kLease) {
    lock_ = std::make_unique<LeaseLock>(params, lock_table_, advisory_key, owner_, options_.lease_seconds);
    return Status::Ok();
  }
  lock_ = std::make_unique<AdvisoryLock>(
      connection_.get(), advisory_key,
      "schema " + QuoteIdentifier(options_.schema) + " (tables " + options_.table_prefix + "*)", lock_table_);
  if (connection_->server_version() >= kClientCheckMinServerVersion) {
    // Only a faster release of a dead runner's lock depends on it.
    (void)connection_->Exec("cannot set client_connection_check_interval",
                            std::string("SET client_connection_check_interval = ") + kClientCheckIntervalMs);
  }
  return Status::Ok();
}

Status PostgresStore::FindTables(Found* found) {
  PgResult result;
  LM_STORES_RETURN_IF_ERROR(
      connection_->Exec("cannot look for the version tables in " + where_,
                        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1), "
                        "EXISTS (SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = $1 AND tablename = $2), "
                        "EXISTS (SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = $1 AND tablename = $3), "
                        "EXISTS (SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = $1 AND tablename = $4)",
                        {options_.schema, options_.table_prefix + "records", options_.table_prefix + "events",
                         options_.table_prefix + "lock"},
                        &result));
  found->schema = result.Bool(0, 0);
  found->records = result.Bool(0, 1);
  found->events = result.Bool(0, 2);
  found->lock = result.Bool(0, 3);
  return Status::Ok();
}

Status PostgresStore::CreateTables() {
  // Two runners creating the store at once would collide in the catalog
  // ("duplicate key value") despite IF NOT EXISTS, so creation is
  // serialised by a transaction-scoped advisory lock, which also works
  // behind a transaction-pooling proxy. Only what is missing is created:
  // CREATE ... IF NOT EXISTS still needs the privilege to create.
  const char* what = "cannot create the version tables";
  LM_STORES_RETURN_IF_ERROR(connection_->Exec(std::string(what) + " in " + where_, "BEGIN"));
  Status status = connection_->Exec(what, std::string("SET LOCAL lock_timeout = '") + kDdlLockTimeout + "'");
  if (status.ok()) {
    status = connection_->Exec(
        what, "SELECT pg_advisory_xact_lock($1::bigint)",
        {Number(AdvisoryLockKey("link-migration create tables", options_.schema, options_.table_prefix))});
  }
  Found found;
  if (status.ok()) status = FindTables(&found);  // again, now that nobody else is creating them
  if (status.ok()) status = CreateMissing(found);
  if (status.ok()) status = connection_->Exec(what, "COMMIT");
  if (!status.ok()) {
    RollbackQuietly();
    return Status::FromCode(status.code(), status.message() + " (" + where_ + ")");
  }
  return Status::Ok();
}

Status PostgresStore::CreateMissing(const Found& found) {
  const char* what = "cannot create the version tables";
  if (!found.schema) {
    LM_STORES_RETURN_IF_ERROR(
        connection_->Exec(what, "CREATE SCHEMA IF NOT EXISTS " + QuoteIdentifier(options_.schema)));
  }
  if (!found.records) {
    LM_STORES_RETURN_IF_ERROR(connection_->Exec(what, "CREATE TABLE IF NOT EXISTS " + records_table_ +
                                                          " ("
                                                          "version bigint PRIMARY KEY, "
                                                          "state text NOT NULL, "
                                                          "name text, checksum text, applied_at text, "
                                                          "duration_ms bigint NOT NULL DEFAULT 0, "
                                                          "applied_by text, runner_version text, error text, "
                                                          "changelog_path text, "
                                                          "attempts integer NOT NULL DEFAULT 0, "
                                                          "run_id text)"));
  }
  if (!found.events) {
    LM_STORES_RETURN_IF_ERROR(connection_->Exec(what, "CREATE TABLE IF NOT EXISTS " + events_table_ +
                                                          " ("
                                                          "id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
                                                          "version bigint NOT NULL, "
                                                          "kind text, name text, at text, done_by text, "
                                                          "duration_ms bigint NOT NULL DEFAULT 0, "
                                                          "detail text, run_id text)"));
  }
  if (options_.lock == LockMode::kLease && !found.lock) {
    LM_STORES_RETURN_IF_ERROR(connection_->Exec(what, "CREATE TABLE IF NOT EXISTS " + lock_table_ +
                                                          " ("
                                                          "id integer PRIMARY KEY CHECK (id = 1), "
                                                          "token text NOT NULL, "
                                                          "user_name text, host text, pid bigint, run_id text, "
                                                          "started_at text, "
                                                          "acquired_at timestamptz NOT NULL, "
                                                          "expires_at timestamptz NOT NULL)"));
  }
  return Status::Ok();
}

Status PostgresStore::TablesReady(bool* ready) {
  if (!tables_exist_) {
    Found found;
    LM_STORES_RETURN_IF_ERROR(FindTables(&found));
    tables_exist_ = found.records && found.events;
  }
  *ready = tables_exist_;
  return Status::Ok();
}

Status PostgresStore::RequireWritable(const char* operation) const {
  return read_only_ ? ReadOnlyError(operation, where_) : Status::Ok();
}

Status PostgresStore::BeforeChange(const char* operation) {
  LM_STORES_RETURN_IF_ERROR(RequireWritable(operation));
  // Inside a transaction, COMMIT checks the lock itself.
  if (lock_ && lock_->held() && !connection_->InTransaction()) return lock_->CheckNotLost();
  return Status::Ok();
}

Status PostgresStore::ListRecords(const RecordVisitor& visit) { return redactor_.Apply(DoListRecords(visit)); }

Status PostgresStore::DoListRecords(const RecordVisitor& visit) {
  bool ready = false;
  LM_STORES_RETURN_IF_ERROR(TablesReady(&ready));
  if (!ready) return Status::Ok();

  PgResult rows;
  LM_STORES_RETURN_IF_ERROR(connection_->Exec(
      "cannot list records", std::string("SELECT ") + kRecordColumns + " FROM " + records_table_ + " ORDER BY version",
      {}, &rows));
  for (int row = 0; row < rows.rows(); ++row) {
    Record record;
    record.version = rows.Int(row, 0);
    OptionalString state = rows.Text(row, 1);
    if (!state || !StateFromName(*state, &record.state)) {
      return Status::Corrupt(where_ + ": table " + records_table_ + " has version " + Number(record.version) +
                             " in unknown state \"" + state.value_or("NULL") + "\"");
    }
    record.name = rows.Text(row, 2);
    record.checksum = rows.Text(row, 3);
    record.applied_at = rows.Text(row, 4);
    record.duration_ms = rows.Int(row, 5);
    record.applied_by = rows.Text(row, 6);
    record.runner_version = rows.Text(row, 7);
    record.error = rows.Text(row, 8);
    record.changelog_path = rows.Text(row, 9);
    record.attempts = static_cast<int32_t>(rows.Int(row, 10));
    record.run_id = rows.Text(row, 11);
    LM_STORES_RETURN_IF_ERROR(visit(record));
  }
  return Status::Ok();
}

Status PostgresStore::PutRecord(const Record& record) {
  Status status = BeforeChange("put_record");
  if (status.ok()) {
    status = connection_->Exec(
        "cannot store the record of version " + Number(record.version),
        "INSERT INTO " + records_table_ + " AS r (" + kRecordColumns +
            ") VALUES ($1::bigint, $2, $3, $4, $5, $6::bigint, $7, $8, $9, $10, $11::integer, $12) "
            "ON CONFLICT (version) DO UPDATE SET state = EXCLUDED.state, name = EXCLUDED.name, "
            "checksum = EXCLUDED.checksum, applied_at = EXCLUDED.applied_at, duration_ms = EXCLUDED.duration_ms, "
            "applied_by = EXCLUDED.applied_by, runner_version = EXCLUDED.runner_version, error = EXCLUDED.error, "
            "changelog_path = EXCLUDED.changelog_path, attempts = EXCLUDED.attempts, run_id = EXCLUDED.run_id",
        {Number(record.version), std::string(StateName(record.state)), record.name, record.checksum, record.applied_at,
         Number(record.duration_ms), record.applied_by, record.runner_version, record.error, record.changelog_path,
         Number(record.attempts), record.run_id});
  }
  return redactor_.Apply(status);
}

Status PostgresStore::DeleteRecord(int64_t version) {
  Status status = BeforeChange("delete_record");
  if (status.ok()) {
    status = connection_->Exec("cannot delete the record of version " + Number(version),
                               "DELETE FROM " + records_table_ + " WHERE version = $1::bigint", {Number(version)});
  }
  return redactor_.Apply(status);
}

Status PostgresStore::AppendEvent(const Event& event) {
  Status status = BeforeChange("append_event");
  if (status.ok()) {
    status = connection_->Exec("cannot append an event",
                               "INSERT INTO " + events_table_ + " (" + kEventColumns +
                                   ") VALUES ($1::bigint, $2, $3, $4, $5, $6::bigint, $7, $8)",
                               {Number(event.version), event.kind, event.name, event.at, event.by,
                                Number(event.duration_ms), event.detail, event.run_id});
  }
  return redactor_.Apply(status);
}

Status PostgresStore::ListEvents(const EventVisitor& visit) { return redactor_.Apply(DoListEvents(visit)); }

Status PostgresStore::DoListEvents(const EventVisitor& visit) {
  bool ready = false;
  LM_STORES_RETURN_IF_ERROR(TablesReady(&ready));
  if (!ready) return Status::Ok();

  PgResult rows;
  LM_STORES_RETURN_IF_ERROR(
      connection_->Exec("cannot list events",
                        std::string("SELECT ") + kEventColumns + " FROM " + events_table_ + " ORDER BY id", {}, &rows));
  for (int row = 0; row < rows.rows(); ++row) {
    Event event;
    event.version = rows.Int(row, 0);
    event.kind = rows.Text(row, 1);
    event.name = rows.Text(row, 2);
    event.at = rows.Text(row, 3);
    event.by = rows.Text(row, 4);
    event.duration_ms = rows.Int(row, 5);
    event.detail = rows.Text(row, 6);
    event.run_id = rows.Text(row, 7);
    LM_STORES_RETURN_IF_ERROR(visit(event));
  }
  return Status::Ok();
}

Status PostgresStore::Begin() {
  Status status = RequireWritable("begin");
  if (status.ok() && connection_->InTransaction()) {
    status = Status::Error("cannot begin a transaction: one is already open on " + where_);
  }
  if (status.ok()) status = connection_->Exec("cannot begin a transaction", "BEGIN");
  if (status.ok()) transaction_ = Transaction::kOpen;
  return redactor_.Apply(status);
}

Status PostgresStore::Commit() { return redactor_.Apply(DoCommit()); }

Status PostgresStore::DoCommit() {
  LM_STORES_RETURN_IF_ERROR(RequireWritable("commit"));
  if (!connection_->InTransaction()) {
    const bool ended_elsewhere = transaction_ == Transaction::kOpen;
    transaction_ = Transaction::kNone;
    return Status::Error(ended_elsewhere ? "cannot commit: the transaction was already ended through the native "
                                           "handle (a COMMIT or ROLLBACK run by the migration?)"
                                         : "cannot commit: no transaction is open");
  }
  if (PQtransactionStatus(connection_->get()) == PQTRANS_INERROR) {
    RollbackQuietly();
    return Status::Error(
        "cannot commit: a statement in the transaction failed, so PostgreSQL can only roll it back; "
        "nothing was committed");
  }
  if (lock_ && lock_->held()) {
    Status held = lock_->CheckInTransaction(*connection_);
    if (!held.ok()) {
      RollbackQuietly();
      return held;
    }
  }
  PgResult result;
  Status committed = connection_->Exec("cannot commit", "COMMIT", {}, &result);
  if (!committed.ok()) {
    // A COMMIT the server refused (a deferred constraint, a serialization
    // failure) ended the transaction by rolling it back; with the connection
    // gone, nobody can tell.
    transaction_ = connection_->Broken() ? Transaction::kNone : Transaction::kRolledBack;
    return committed;
  }
  if (result.CommandStatus() == "ROLLBACK") {
    transaction_ = Transaction::kRolledBack;
    return Status::Error("cannot commit: PostgreSQL rolled the transaction back (a statement in it failed)");
  }
  transaction_ = Transaction::kNone;
  return Status::Ok();
}

Status PostgresStore::Rollback() { return redactor_.Apply(DoRollback()); }

Status PostgresStore::DoRollback() {
  LM_STORES_RETURN_IF_ERROR(RequireWritable("rollback"));
  const Transaction was = std::exchange(transaction_, Transaction::kNone);
  if (connection_->InTransaction()) return connection_->Exec("cannot roll back", "ROLLBACK");
  switch (was) {
    case Transaction::kRolledBack:
      return Status::Ok();  // a failed COMMIT already rolled it back
    case Transaction::kOpen:
      return Status::Error(
          "cannot roll back: the transaction was already ended through the native handle (a COMMIT run by the "
          "migration?), so its work may have stayed");
    case Transaction::kNone:
      break;
  }
  return Status::Error("cannot roll back: no transaction is open");
}

void PostgresStore::RollbackQuietly() {
  if (connection_->InTransaction()) (void)connection_->Exec("cannot roll back", "ROLLBACK");
  transaction_ = Transaction::kRolledBack;
}

// The server's answer, as libpq last saw it: a COMMIT the server refused
// left it idle (rolled back); a connection lost during COMMIT leaves no
// answer, since the COMMIT may have happened.
int32_t PostgresStore::InTransaction() {
  if (!connection_ || connection_->get() == nullptr) return 0;
  switch (PQtransactionStatus(connection_->get())) {
    case PQTRANS_IDLE:
      return 0;
    case PQTRANS_ACTIVE:
    case PQTRANS_INTRANS:
    case PQTRANS_INERROR:
      return 1;
    case PQTRANS_UNKNOWN:
      break;
  }
  return -1;
}

Status PostgresStore::Lock(int64_t timeout_ms) {
  if (!lock_) return Status::Ok();  // read-only: nothing to exclude
  return redactor_.Apply(lock_->Lock(timeout_ms));
}

Status PostgresStore::Unlock() {
  if (!lock_) return Status::Ok();
  return redactor_.Apply(lock_->Unlock());
}

void* PostgresStore::NativeHandle(const char* kind) {
  return std::strcmp(kind, "libpq") == 0 ? connection_->get() : nullptr;
}

}  // namespace lm::stores
