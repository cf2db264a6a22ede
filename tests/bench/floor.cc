// Floor (a) of the benchmark: the cost of workload W itself. A plain program
// linked to SQLite that runs the same SQL as the benchmark's migrations, with
// the same commits, the same version-record and history inserts (the sqlite
// store's tables, columns and PRAGMAs) and no plugins, no worker process, no
// lock file: what a runner could not do with less.
//
//   lm_bench_floor --db FILE --n N --op up|noop|status|down
//                  [--journal WAL|DELETE] [--synchronous FULL|NORMAL|OFF] [--group]
//
// up applies versions 1..N that are not recorded; noop is up when all are
// (it still opens read-write, creates the tables if missing and plans);
// status opens read-only and prints one line per record; down reverts every
// recorded version, newest first. Each step is BEGIN IMMEDIATE, the step's
// SQL, the record, the event, COMMIT; --group wraps the whole run in one
// transaction instead. The durability settings in force are printed.
#include <sqlite3.h>
#include <sys/time.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <set>
#include <string>

namespace {

constexpr char kRecords[] = "link_migration_records";
constexpr char kEvents[] = "link_migration_events";
// What the template plugin's LM_SOURCE_CHECKSUM looks like: same length.
constexpr char kChecksum[] = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

struct Options {
  std::string db;
  std::string op;
  long long n = 0;
  std::string journal = "WAL";
  std::string synchronous = "FULL";
  bool group = false;
};

[[noreturn]] void Die(sqlite3* db, const char* what) {
  std::fprintf(stderr, "lm_bench_floor: %s: %s\n", what, db ? sqlite3_errmsg(db) : "?");
  std::exit(1);
}

void Exec(sqlite3* db, const std::string& sql) {
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) Die(db, sql.c_str());
}

sqlite3_stmt* Prepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) Die(db, sql.c_str());
  return stmt;
}

void StepDone(sqlite3* db, sqlite3_stmt* stmt, const char* what) {
  if (sqlite3_step(stmt) != SQLITE_DONE) Die(db, what);
  sqlite3_reset(stmt);
}

std::string Pragma(sqlite3* db, const char* name) {
  sqlite3_stmt* stmt = Prepare(db, std::string("PRAGMA ") + name);
  std::string value = sqlite3_step(stmt) == SQLITE_ROW ? (const char*)sqlite3_column_text(stmt, 0) : "?";
  sqlite3_finalize(stmt);
  return value;
}

std::string NowUtc() {
  timeval now;
  gettimeofday(&now, nullptr);
  tm parts;
  gmtime_r(&now.tv_sec, &parts);
  char text[64];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900, parts.tm_mon + 1,
                parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, static_cast<int>(now.tv_usec / 1000));
  return text;
}

std::string Digits(long long version) {
  char text[24];
  std::snprintf(text, sizeof(text), "%010lld", version);
  return text;
}

std::set<long long> Applied(sqlite3* db) {
  std::set<long long> versions;
  sqlite3_stmt* list =
      Prepare(db, std::string("SELECT version, state, name, checksum, applied_at, duration_ms, applied_by, "
                              "runner_version, error, changelog_path, attempts, run_id FROM ") +
                      kRecords + " ORDER BY version");
  while (sqlite3_step(list) == SQLITE_ROW) versions.insert(sqlite3_column_int64(list, 0));
  sqlite3_finalize(list);
  return versions;
}

int Status(const Options& options) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(options.db.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK)
    Die(db, "open");
  sqlite3_busy_timeout(db, 10000);
  sqlite3_stmt* list =
      Prepare(db, std::string("SELECT version, state, name, applied_at FROM ") + kRecords + " ORDER BY version");
  long long count = 0;
  while (sqlite3_step(list) == SQLITE_ROW) {
    std::printf("%" PRId64 "  %s  %s  %s\n", static_cast<int64_t>(sqlite3_column_int64(list, 0)),
                sqlite3_column_text(list, 1), sqlite3_column_text(list, 2), sqlite3_column_text(list, 3));
    ++count;
  }
  sqlite3_finalize(list);
  std::printf("floor status: %lld applied\n", count);
  sqlite3_close(db);
  return 0;
}

int Migrate(const Options& options) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(options.db.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK)
    Die(db, "open");
  sqlite3_busy_timeout(db, 10000);
  Exec(db, "PRAGMA journal_mode=" + options.journal);
  Exec(db, "PRAGMA synchronous=" + options.synchronous);
  Exec(db, std::string("CREATE TABLE IF NOT EXISTS ") + kRecords +
               " (version INTEGER PRIMARY KEY, state TEXT NOT NULL, name TEXT, checksum TEXT, applied_at TEXT, "
               "duration_ms INTEGER NOT NULL DEFAULT 0, applied_by TEXT, runner_version TEXT, error TEXT, "
               "changelog_path TEXT, attempts INTEGER NOT NULL DEFAULT 0, run_id TEXT);"
               "CREATE TABLE IF NOT EXISTS " +
               kEvents +
               " (id INTEGER PRIMARY KEY, version INTEGER NOT NULL, kind TEXT, name TEXT, at TEXT, done_by TEXT, "
               "duration_ms INTEGER NOT NULL DEFAULT 0, detail TEXT, run_id TEXT)");
  std::fprintf(stderr, "floor durability: journal_mode=%s synchronous=%s (0 OFF, 1 NORMAL, 2 FULL)%s\n",
               Pragma(db, "journal_mode").c_str(), Pragma(db, "synchronous").c_str(),
               options.group ? ", one transaction for the run" : ", one transaction per step");

  const bool up = options.op == "up" || options.op == "noop";
  const std::set<long long> applied = Applied(db);
  char host[256] = "host";
  gethostname(host, sizeof(host) - 1);
  const char* user = std::getenv("USER");
  const std::string by = std::string(user ? user : "user") + "@" + host;
  const std::string run_id = "floor-" + std::to_string(getpid());

  sqlite3_stmt* record = Prepare(
      db,
      std::string("INSERT OR REPLACE INTO ") + kRecords +
          " (version, state, name, checksum, applied_at, duration_ms, applied_by, runner_version, error, "
          "changelog_path, attempts, run_id) VALUES (?1, 'applied', ?2, ?3, ?4, 0, ?5, '0.1.0', NULL, NULL, 1, ?6)");
  sqlite3_stmt* forget = Prepare(db, std::string("DELETE FROM ") + kRecords + " WHERE version = ?1");
  sqlite3_stmt* event = Prepare(db, std::string("INSERT INTO ") + kEvents +
                                        " (version, kind, name, at, done_by, duration_ms, detail, run_id) "
                                        "VALUES (?1, ?2, ?3, ?4, ?5, 0, '', ?6)");

  long long steps = 0;
  auto step = [&](long long version) {
    const std::string digits = Digits(version);
    const std::string name = "bench_" + digits;
    if (!options.group) Exec(db, "BEGIN IMMEDIATE");
    if (up) {
      Exec(db, "CREATE TABLE bench_t_" + digits + " (id INTEGER PRIMARY KEY, note TEXT NOT NULL); " +
                   "INSERT INTO bench_t_" + digits + " (note) VALUES ('bench_" + digits + "')");
      sqlite3_bind_int64(record, 1, version);
      sqlite3_bind_text(record, 2, name.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(record, 3, kChecksum, -1, SQLITE_STATIC);
      sqlite3_bind_text(record, 4, NowUtc().c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(record, 5, by.c_str(), -1, SQLITE_STATIC);
      sqlite3_bind_text(record, 6, run_id.c_str(), -1, SQLITE_STATIC);
      StepDone(db, record, "insert record");
    } else {
      Exec(db, "DROP TABLE bench_t_" + digits);
      sqlite3_bind_int64(forget, 1, version);
      StepDone(db, forget, "delete record");
    }
    sqlite3_bind_int64(event, 1, version);
    sqlite3_bind_text(event, 2, up ? "apply" : "revert", -1, SQLITE_STATIC);
    sqlite3_bind_text(event, 3, name.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(event, 4, NowUtc().c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(event, 5, by.c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_text(event, 6, run_id.c_str(), -1, SQLITE_STATIC);
    StepDone(db, event, "insert event");
    if (!options.group) Exec(db, "COMMIT");
    ++steps;
  };

  if (options.group) Exec(db, "BEGIN IMMEDIATE");
  if (up) {
    for (long long version = 1; version <= options.n; ++version)
      if (!applied.count(version)) step(version);
  } else {
    for (auto it = applied.rbegin(); it != applied.rend(); ++it) step(*it);
  }
  if (options.group) Exec(db, "COMMIT");
  std::printf("floor %s: %lld step(s)%s\n", options.op.c_str(), steps, steps == 0 ? ", nothing to do" : "");
  sqlite3_finalize(record);
  sqlite3_finalize(forget);
  sqlite3_finalize(event);
  if (sqlite3_close(db) != SQLITE_OK) Die(db, "close");
  return 0;
}

[[noreturn]] void Usage() {
  std::fprintf(stderr,
               "usage: lm_bench_floor --db FILE --n N --op up|noop|status|down "
               "[--journal WAL|DELETE] [--synchronous FULL|NORMAL|OFF] [--group]\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Usage();
      return argv[++i];
    };
    if (arg == "--db")
      options.db = value();
    else if (arg == "--n")
      options.n = std::atoll(value().c_str());
    else if (arg == "--op")
      options.op = value();
    else if (arg == "--journal")
      options.journal = value();
    else if (arg == "--synchronous")
      options.synchronous = value();
    else if (arg == "--group")
      options.group = true;
    else
      Usage();
  }
  if (options.db.empty() || options.op.empty()) Usage();
  if (options.op == "status") return Status(options);
  if (options.op == "up" || options.op == "noop" || options.op == "down") return Migrate(options);
  Usage();
}
