#include "sqlite/sqlite_store.h"

#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>
#include <utility>

#include "common/options.h"

namespace lm::stores {

namespace {

// How long a statement waits for another connection's write lock before
// failing with SQLITE_BUSY. Other writers (the application, a status
// command) hold it only briefly; whole runs are serialised by the run lock.
constexpr int kBusyTimeoutMs = 10000;
// Between attempts to switch a new database to WAL (see SwitchToWal).
constexpr std::chrono::milliseconds kWalRetryPause(2);

constexpr char kDefaultPrefix[] = "link_migration_";

// The prefix becomes part of table names, so it is held to the characters of
// a plain SQL identifier; that also rules out injection through the config.
bool IsValidPrefix(const std::string& prefix) {
  for (char c : prefix) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string Quote(const std::string& identifier) { return "\"" + identifier + "\""; }

lm_result CodeFor(int rc) {
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return LM_ERR_CORRUPT;
    case SQLITE_CANTOPEN:
      return LM_ERR_UNAVAILABLE;
    default:
      return LM_ERROR;
  }
}

constexpr char kRecordColumns[] =
    "version, state, name, checksum, applied_at, duration_ms, applied_by, runner_version, "
    "error, changelog_path, attempts, run_id";
constexpr char kEventColumns[] = "version, kind, name, at, done_by, duration_ms, detail, run_id";

}  // namespace

SqliteStore::SqliteStore(std::string path, const std::string& prefix, bool read_only, const Owner& owner)
    : path_(std::move(path)),
      records_table_(Quote(prefix + "records")),
      events_table_(Quote(prefix + "events")),
      read_only_(read_only),
      lock_(path_, owner, read_only),
      put_record_sql_("INSERT OR REPLACE INTO " + records_table_ + " (" + kRecordColumns +
                      ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"),
      append_event_sql_("INSERT INTO " + events_table_ + " (" + kEventColumns +
                        ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)") {}

SqliteStore::~SqliteStore() {
  for (Statement* kept : {&put_record_, &append_event_, &begin_, &commit_}) kept->Finalize();
  // Closing rolls back a transaction left open; the run lock goes with lock_.
  sqlite3_close_v2(db_);
}

Status SqliteStore::Open(const lm_store_open_args& args, std::unique_ptr<Store>* out) {
  Options options;
  LM_STORES_RETURN_IF_ERROR(Options::Parse("sqlite", args.options_json, {"database", "table_prefix"}, &options));
  std::string path, prefix;
  LM_STORES_RETURN_IF_ERROR(options.RequiredPath("database", args.config_dir, &path));
  LM_STORES_RETURN_IF_ERROR(options.OptionalString("table_prefix", kDefaultPrefix, &prefix));
  if (!IsValidPrefix(prefix)) {
    return Status::OptionError("table_prefix",
                               "sqlite store option \"table_prefix\" may hold only letters, digits and underscores");
  }

  std::unique_ptr<SqliteStore> store(new SqliteStore(path, prefix, args.read_only != 0, OwnerFromArgs(args.owner)));
  LM_STORES_RETURN_IF_ERROR(store->Connect());
  *out = std::move(store);
  return Status::Ok();
}

Status SqliteStore::Connect() {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  std::string name = path_;
  if (read_only_) {
    // A read-only open must create nothing; a database that is not there yet
    // simply has no versions applied.
    if (access(path_.c_str(), F_OK) != 0) return Status::Ok();
    flags = SQLITE_OPEN_READONLY;
    // Nor a -wal or -shm beside it, whenever that is safe (quiet_read.h).
    quiet_read_.Prepare(path_);
    if (quiet_read_.immutable()) {
      name = QuietRead::ImmutableUri(path_);
      flags |= SQLITE_OPEN_URI;
    }
  }
  int rc = sqlite3_open_v2(name.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Status status = Failure("cannot open", rc);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    return status;
  }
  sqlite3_extended_result_codes(db_, 1);
  LM_STORES_RETURN_IF_ERROR(Configure());
  if (!read_only_) return CreateTables();
  // Nothing above has read the file yet; find out now, not at the first
  // listing, whether it is a database at all.
  bool ignored = false;
  return TablesExist(&ignored);
}

Status SqliteStore::Configure() {
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  if (read_only_) return Status::Ok();

  LM_STORES_RETURN_IF_ERROR(SwitchToWal());
  // In WAL mode NORMAL may lose the last commits on power loss; a record of
  // an applied migration must not be lost while its schema change stays.
  return Exec("PRAGMA synchronous=FULL", "cannot set synchronous=FULL");
}

// WAL lets readers carry on while a migration writes. The setting is stored
// in the database file, so it stays after we close.
//
// On a database not yet in WAL mode the switch asks for the write lock from
// inside a read transaction, and there SQLite does not call the busy handler
// when another connection holds that lock (each would wait for the other to
// drop its read lock): a runner switching a new database while another
// writes it, or switches it too, fails at once with SQLITE_BUSY. Writers let
// go quickly, so wait for them here, as long as the busy timeout would.
Status SqliteStore::SwitchToWal() {
  Statement wal;
  LM_STORES_RETURN_IF_ERROR(Prepare(&wal, "PRAGMA journal_mode=WAL", "cannot set WAL mode"));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
  int rc = wal.Step();
  while ((rc & 0xff) == SQLITE_BUSY && std::chrono::steady_clock::now() < deadline) {
    wal.Reset();
    std::this_thread::sleep_for(kWalRetryPause);
    rc = wal.Step();
  }
  if (rc != SQLITE_ROW) return Failure("cannot set WAL mode", rc);
  OptionalString mode = wal.Text(0);
  if (!mode || sqlite3_stricmp(mode->c_str(), "wal") != 0) {
    return Status::Error(path_ + ": cannot switch to WAL mode (journal_mode stays \"" + mode.value_or("") + "\")");
  }
  return Status::Ok();
}

Status SqliteStore::CreateTables() {
  return Exec("CREATE TABLE IF NOT EXISTS " + records_table_ +
                  " ("
                  "version INTEGER PRIMARY KEY, "
                  "state TEXT NOT NULL, "
                  "name TEXT, checksum TEXT, applied_at TEXT, "
                  "duration_ms INTEGER NOT NULL DEFAULT 0, "
                  "applied_by TEXT, runner_version TEXT, error TEXT, changelog_path TEXT, "
                  "attempts INTEGER NOT NULL DEFAULT 0, "
                  "run_id TEXT);"
                  "CREATE TABLE IF NOT EXISTS " +
                  events_table_ +
                  " ("
                  "id INTEGER PRIMARY KEY, "
                  "version INTEGER NOT NULL, "
                  "kind TEXT, name TEXT, at TEXT, done_by TEXT, "
                  "duration_ms INTEGER NOT NULL DEFAULT 0, "
                  "detail TEXT, run_id TEXT)",
              "cannot create the version tables");
}

// Asked of SQLite's parsed schema rather than by a query: a query scans
// sqlite_master, a row per table of the whole database (10,000 rows where
// the migrations made 10,000 tables), and the listing asks again.
Status SqliteStore::TablesExist(bool* exist) {
  *exist = false;
  if (db_ == nullptr) return Status::Ok();
  bool both = true;
  for (const std::string* quoted : {&records_table_, &events_table_}) {
    const std::string name = quoted->substr(1, quoted->size() - 2);  // without its quotes
    const int rc = sqlite3_table_column_metadata(db_, "main", name.c_str(), nullptr, nullptr, nullptr, nullptr,
                                                 nullptr, nullptr);
    // SQLITE_ERROR is "no such table"; anything else (not a database,
    // corrupt, busy) is a failure to read the schema.
    if (rc == SQLITE_ERROR) {
      both = false;
    } else if (rc != SQLITE_OK) {
      return Failure("cannot look for the version tables", rc);
    }
  }
  *exist = both;
  return Status::Ok();
}

Status SqliteStore::RequireWritable(const char* operation) const {
  return read_only_ ? ReadOnlyError(operation, path_) : Status::Ok();
}

template <class Bind>
Status SqliteStore::RunKept(Statement* statement, const std::string& sql, const char* what, Bind bind) {
  if (!statement->prepared()) LM_STORES_RETURN_IF_ERROR(Prepare(statement, sql, what, SQLITE_PREPARE_PERSISTENT));
  bind(*statement);
  const int rc = statement->Step();
  // The failure is read before the reset, while the connection's message
  // is still this step's.
  Status status = rc == SQLITE_DONE ? Status::Ok() : Failure(what, rc);
  statement->Release();
  return status;
}

Status SqliteStore::ListRecords(const RecordVisitor& visit) {
  Record record;
  return ListRecordViews([&](const lm_record& view) {
    LM_STORES_RETURN_IF_ERROR(RecordFromC(&view, &record));
    return visit(record);
  });
}

Status SqliteStore::ListRecordViews(const RecordViewVisitor& visit) {
  bool exist = false;
  LM_STORES_RETURN_IF_ERROR(TablesExist(&exist));
  if (!exist) return Status::Ok();

  Statement query;
  LM_STORES_RETURN_IF_ERROR(
      Prepare(&query, std::string("SELECT ") + kRecordColumns + " FROM " + records_table_ + " ORDER BY version",
              "cannot list records"));
  int rc;
  lm_record row{};
  row.struct_size = sizeof(row);
  while ((rc = query.Step()) == SQLITE_ROW) {
    row.version = query.Int(0);
    const char* state = query.TextView(1);
    if (state == nullptr || !StateFromName(state, &row.state)) {
      return Status::Corrupt(path_ + ": table " + records_table_ + " has version " + std::to_string(row.version) +
                             " in unknown state \"" + (state ? state : "NULL") + "\"");
    }
    row.name = query.TextView(2);
    row.checksum = query.TextView(3);
    row.applied_at = query.TextView(4);
    row.duration_ms = query.Int(5);
    row.applied_by = query.TextView(6);
    row.runner_version = query.TextView(7);
    row.error = query.TextView(8);
    row.changelog_path = query.TextView(9);
    row.attempts = static_cast<int32_t>(query.Int(10));
    row.run_id = query.TextView(11);
    LM_STORES_RETURN_IF_ERROR(visit(row));
  }
  return rc == SQLITE_DONE ? Status::Ok() : Failure("cannot list records", rc);
}

Status SqliteStore::PutRecord(const Record& record) {
  LM_STORES_RETURN_IF_ERROR(RequireWritable("put_record"));
  return RunKept(&put_record_, put_record_sql_, "cannot store a record", [&](Statement& insert) {
    insert.Bind(1, record.version);
    insert.Bind(2, StateName(record.state));
    insert.Bind(3, record.name);
    insert.Bind(4, record.checksum);
    insert.Bind(5, record.applied_at);
    insert.Bind(6, record.duration_ms);
    insert.Bind(7, record.applied_by);
    insert.Bind(8, record.runner_version);
    insert.Bind(9, record.error);
    insert.Bind(10, record.changelog_path);
    insert.Bind(11, int64_t{record.attempts});
    insert.Bind(12, record.run_id);
  });
}

Status SqliteStore::DeleteRecord(int64_t version) {
  LM_STORES_RETURN_IF_ERROR(RequireWritable("delete_record"));
  Statement remove;
  LM_STORES_RETURN_IF_ERROR(
      Prepare(&remove, "DELETE FROM " + records_table_ + " WHERE version = ?1", "cannot delete a record"));
  remove.Bind(1, version);
  int rc = remove.Step();
  return rc == SQLITE_DONE ? Status::Ok() : Failure("cannot delete a record", rc);
}

Status SqliteStore::AppendEvent(const Event& event) {
  LM_STORES_RETURN_IF_ERROR(RequireWritable("append_event"));
  return RunKept(&append_event_, append_event_sql_, "cannot append an event", [&](Statement& insert) {
    insert.Bind(1, event.version);
    insert.Bind(2, event.kind);
    insert.Bind(3, event.name);
    insert.Bind(4, event.at);
    insert.Bind(5, event.by);
    insert.Bind(6, event.duration_ms);
    insert.Bind(7, event.detail);
    insert.Bind(8, event.run_id);
  });
}

Status SqliteStore::ListEvents(const EventVisitor& visit) {
  bool exist = false;
  LM_STORES_RETURN_IF_ERROR(TablesExist(&exist));
  if (!exist) return Status::Ok();

  Statement query;
  LM_STORES_RETURN_IF_ERROR(Prepare(&query,
                                    std::string("SELECT ") + kEventColumns + " FROM " + events_table_ + " ORDER BY id",
                                    "cannot list events"));
  int rc;
  while ((rc = query.Step()) == SQLITE_ROW) {
    Event event;
    event.version = query.Int(0);
    event.kind = query.Text(1);
    event.name = query.Text(2);
    event.at = query.Text(3);
    event.by = query.Text(4);
    event.duration_ms = query.Int(5);
    event.detail = query.Text(6);
    event.run_id = query.Text(7);
    LM_STORES_RETURN_IF_ERROR(visit(event));
  }
  return rc == SQLITE_DONE ? Status::Ok() : Failure("cannot list events", rc);
}

Status SqliteStore::Begin() {
  LM_STORES_RETURN_IF_ERROR(RequireWritable("begin"));
  // IMMEDIATE takes the write lock now, so a concurrent writer makes us wait
  // (busy timeout) here rather than fail halfway through the migration.
  static const std::string kBegin = "BEGIN IMMEDIATE";
  return RunKept(&begin_, kBegin, "cannot begin a transaction", [](Statement&) {});
}

Status SqliteStore::Commit() {
  LM_STORES_RETURN_IF_ERROR(RequireWritable("commit"));
  static const std::string kCommit = "COMMIT";
  return RunKept(&commit_, kCommit, "cannot commit", [](Statement&) {});
}

Status SqliteStore::Rollback() {
  LM_STORES_RETURN_IF_ERROR(RequireWritable("rollback"));
  return Exec("ROLLBACK", "cannot roll back");
}

// SQLite itself knows: outside BEGIN the connection is in autocommit mode,
// and it returns there when it rolls back a transaction on its own (a COMMIT
// that failed on a full disk or an I/O error).
int32_t SqliteStore::InTransaction() {
  if (db_ == nullptr) return 0;
  return sqlite3_get_autocommit(db_) == 0 ? 1 : 0;
}

Status SqliteStore::Lock(int64_t timeout_ms) { return lock_.Lock(timeout_ms); }

Status SqliteStore::Unlock() { return lock_.Unlock(); }

void* SqliteStore::NativeHandle(const char* kind) { return std::strcmp(kind, "sqlite3") == 0 ? db_ : nullptr; }

Status SqliteStore::Exec(const std::string& sql, const char* what) {
  if (db_ == nullptr) return Status::Error(std::string(what) + ": " + path_ + " does not exist");
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? Status::Ok() : Failure(what, rc);
}

Status SqliteStore::Prepare(Statement* statement, const std::string& sql, const char* what, unsigned int flags) {
  if (db_ == nullptr) return Status::Error(std::string(what) + ": " + path_ + " does not exist");
  int rc = statement->Prepare(db_, sql, flags);
  return rc == SQLITE_OK ? Status::Ok() : Failure(what, rc);
}

Status SqliteStore::Failure(const char* what, int rc) const {
  // The connection's message is more specific ("no such column: x") than the
  // code's, but only when it belongs to this failure.
  const char* detail =
      (db_ != nullptr && sqlite3_extended_errcode(db_) == rc) ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  return Status::FromCode(CodeFor(rc), path_ + ": " + what + ": " + detail);
}

}  // namespace lm::stores
