#include "safety_env.h"

#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <random>
#include <sstream>
#include <stdexcept>

#ifdef LM_SAFETY_WITH_LIBPQ
#include <libpq-fe.h>
#endif

namespace lm::safety {
namespace {

std::vector<std::string> Words(const std::string& line) {
  std::vector<std::string> words;
  std::istringstream in(line);
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

bool ParseInteger(const std::string& text, int64_t* value) {
  if (text.empty()) return false;
  char* end = nullptr;
  *value = std::strtoll(text.c_str(), &end, 10);
  return end != nullptr && *end == '\0';
}

}  // namespace

std::vector<int64_t> QuerySqlite(const std::filesystem::path& database, const std::string& sql) {
  std::vector<int64_t> versions;
  if (!std::filesystem::exists(database)) return versions;
  sqlite3* db = nullptr;
  // Read-write, so a WAL left by a killed runner is recovered as SQLite does.
  if (sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    std::string message = sqlite3_errmsg(db);
    sqlite3_close(db);
    throw std::runtime_error("cannot open " + database.string() + ": " + message);
  }
  sqlite3_busy_timeout(db, 10000);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    std::string message = sqlite3_errmsg(db);
    sqlite3_close(db);
    if (message.find("no such table") != std::string::npos) return versions;
    throw std::runtime_error("cannot query " + database.string() + ": " + message + " (in: " + sql + ")");
  }
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) versions.push_back(sqlite3_column_int64(stmt, 0));
  std::string message = rc == SQLITE_DONE ? "" : sqlite3_errmsg(db);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  if (!message.empty()) throw std::runtime_error("cannot query " + database.string() + ": " + message);
  return versions;
}

namespace {

// No file yet: no step has written one.
std::vector<int64_t> FileLedger(const std::filesystem::path& file) {
  std::vector<int64_t> versions;
  if (!std::filesystem::exists(file)) return versions;
  for (const std::string& line : Lines(ReadFile(file))) {
    int64_t version = 0;
    if (!ParseInteger(line, &version)) throw std::runtime_error("the ledger file has a torn line: '" + line + "'");
    versions.push_back(version);
  }
  return versions;
}

}  // namespace

std::string StoreKindName(StoreKind kind) {
  switch (kind) {
    case StoreKind::kSqlite:
      return "sqlite";
    case StoreKind::kJsonFile:
      return "json_file";
    case StoreKind::kPostgresAdvisory:
      return "Postgres_advisory";
    case StoreKind::kPostgresLease:
      return "Postgres_lease";
  }
  return "?";
}

void PrintTo(StoreKind kind, std::ostream* out) { *out << StoreKindName(kind); }

bool IsPostgres(StoreKind kind) { return kind == StoreKind::kPostgresAdvisory || kind == StoreKind::kPostgresLease; }
bool IsTransactional(StoreKind kind) { return kind != StoreKind::kJsonFile; }

std::optional<std::string> PostgresServerConninfo() {
#ifdef LM_SAFETY_WITH_LIBPQ
  const char* file = std::getenv("LM_SAFETY_PG_CONNINFO_FILE");
  if (file == nullptr || *file == '\0') return std::nullopt;
  // Under the fixture a missing or empty file is a failure, not a skip.
  std::string conninfo = ReadFile(file);
  while (!conninfo.empty() && (conninfo.back() == '\n' || conninfo.back() == '\r')) conninfo.pop_back();
  if (conninfo.empty()) throw std::runtime_error(std::string("no connection info in ") + file);
  return conninfo;
#else
  return std::nullopt;
#endif
}

#ifdef LM_SAFETY_WITH_LIBPQ
namespace {

// Runs `sql` on a fresh connection to `conninfo`; returns the rows'
// first column. Throws on failure, unless `missing_table_ok` and the
// failure is an undefined table (SQLSTATE 42P01).
std::vector<int64_t> PgQuery(const std::string& conninfo, const std::string& sql, bool missing_table_ok = false) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = PQerrorMessage(conn);
    PQfinish(conn);
    throw std::runtime_error("cannot connect to PostgreSQL (" + conninfo + "): " + message);
  }
  PGresult* result = PQexec(conn, sql.c_str());
  std::vector<int64_t> values;
  const ExecStatusType status = PQresultStatus(result);
  std::string error;
  if (status == PGRES_TUPLES_OK) {
    for (int row = 0; row < PQntuples(result); ++row)
      values.push_back(std::strtoll(PQgetvalue(result, row, 0), nullptr, 10));
  } else if (status != PGRES_COMMAND_OK) {
    const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    if (!(missing_table_ok && state != nullptr && std::string(state) == "42P01")) error = PQresultErrorMessage(result);
  }
  PQclear(result);
  PQfinish(conn);
  if (!error.empty()) throw std::runtime_error("PostgreSQL: " + error + " (in: " + sql + ")");
  return values;
}

}  // namespace

PostgresDatabase::PostgresDatabase(const std::string& server_conninfo) : server_conninfo_(server_conninfo) {
  std::random_device random;
  name_ = "lm_safety_" + std::to_string(getpid()) + "_" + std::to_string(random() % 1000000);
  PgQuery(server_conninfo_, "CREATE DATABASE " + name_);
  conninfo_ = server_conninfo_ + " dbname=" + name_;
}

PostgresDatabase::~PostgresDatabase() {
  try {
    PgQuery(server_conninfo_, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (const std::exception&) {
    // The server may be gone already (the fixture's cleanup); nothing to do.
  }
}

std::vector<int64_t> PostgresDatabase::QueryIntegers(const std::string& sql) const {
  return PgQuery(conninfo_, sql, /*missing_table_ok=*/true);
}
#else
PostgresDatabase::PostgresDatabase(const std::string&) {
  throw std::runtime_error("safety_tests was built without libpq");
}
PostgresDatabase::~PostgresDatabase() = default;
std::vector<int64_t> PostgresDatabase::QueryIntegers(const std::string&) const { return {}; }
#endif

Workspace::Workspace(StoreKind kind) : kind_(kind) {
  std::filesystem::create_directory(migrations());
  switch (kind) {
    case StoreKind::kSqlite:
      store_ = {{"plugin", "sqlite"}, {"options", {{"database", "app.db"}}}};
      break;
    case StoreKind::kJsonFile:
      store_ = {{"plugin", "json-file"}, {"options", {{"path", "versions.json"}}}};
      params_["ledger_file"] = (dir() / "ledger.txt").string();
      break;
    case StoreKind::kPostgresAdvisory:
    case StoreKind::kPostgresLease: {
      std::optional<std::string> server = PostgresServerConninfo();
      if (!server) throw std::runtime_error("no PostgreSQL server: run under the ctest fixture 'postgres'");
      database_ = std::make_unique<PostgresDatabase>(*server);
      store_ = {{"plugin", "postgres"}, {"options", {{"conninfo", database_->conninfo()}, {"lock", "advisory"}}}};
      // A short lease, so that the lease of a runner a test killed runs out
      // soon (a live holder's heartbeat keeps extending it).
      if (kind == StoreKind::kPostgresLease) store_["options"].update({{"lock", "lease"}, {"lease_seconds", 2}});
      break;
    }
  }
  WriteConfig();
}

Workspace::~Workspace() = default;

void Workspace::WriteConfig() const {
  nlohmann::json config = {{"migrations", {"migrations"}}, {"store", store_}, {"params", params_}};
  WriteFile(dir() / "conf.json", config.dump(2) + "\n");
}

void Workspace::AddPlugin(const std::string& built_path, const std::string& file_name) {
  const std::filesystem::path source(built_path);
  const std::string name = file_name.empty() ? source.filename().string() : file_name;
  // Copied under a hidden name (the runner skips those), then renamed: a
  // runner never sees half a file.
  const std::filesystem::path partial = migrations() / ("." + name);
  std::filesystem::copy_file(source, partial, std::filesystem::copy_options::overwrite_existing);
  std::filesystem::rename(partial, migrations() / name);
}

void Workspace::RemovePlugin(const std::string& file_name) {
  if (!std::filesystem::remove(migrations() / file_name))
    throw std::runtime_error("no plugin " + file_name + " to remove");
}

void Workspace::SetParam(const std::string& key, const nlohmann::json& value) {
  params_[key] = value;
  WriteConfig();
}

std::vector<std::string> Workspace::Command(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {LM_SAFETY_RUNNER, "-c", (dir() / "conf.json").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

ProcessResult Workspace::Cli(const std::vector<std::string>& args, milliseconds timeout) const {
  return Run(Command(args), dir(), timeout);
}

Process Workspace::Start(const std::vector<std::string>& args, const StartOptions& options) const {
  return Process::Start(Command(args), dir(), options);
}

std::vector<int64_t> Workspace::Ledger() const {
  switch (kind_) {
    case StoreKind::kSqlite:
      return QuerySqlite(dir() / "app.db", "SELECT version FROM ledger ORDER BY rowid");
    case StoreKind::kJsonFile:
      return FileLedger(dir() / "ledger.txt");
    case StoreKind::kPostgresAdvisory:
    case StoreKind::kPostgresLease:
      return database_->QueryIntegers("SELECT version FROM ledger ORDER BY ctid");
  }
  return {};
}

std::map<int64_t, std::string> Workspace::States() const {
  ProcessResult status = Cli({"status"});
  if (!status.exited(0)) throw std::runtime_error("status failed: " + status.Describe());
  std::map<int64_t, std::string> states;
  // The STATE column, as the heading places it: a state may carry a note ("applied, changed").
  size_t state_at = std::string::npos;
  size_t name_at = std::string::npos;
  for (const std::string& line : Lines(status.out)) {
    if (state_at == std::string::npos) {
      state_at = line.find("  STATE  ");
      name_at = line.find("  NAME");
      if (state_at != std::string::npos) state_at += 2;
      continue;
    }
    std::vector<std::string> words = Words(line);
    int64_t version = 0;
    if (words.empty() || !ParseInteger(words[0], &version) || line.size() < name_at) continue;
    std::string state = line.substr(state_at, name_at - state_at);
    state.erase(state.find_last_not_of(' ') + 1);
    states[version] = state;
  }
  return states;
}

std::vector<HistoryEvent> Workspace::History() const {
  ProcessResult history = Cli({"history"});
  if (!history.exited(0)) throw std::runtime_error("history failed: " + history.Describe());
  std::vector<HistoryEvent> events;
  for (const std::string& line : Lines(history.out)) {
    std::vector<std::string> words = Words(line);
    int64_t version = 0;
    if (words.size() < 3 || !ParseInteger(words[2], &version)) continue;  // the heading
    events.push_back(HistoryEvent{words[1], version, line});
  }
  return events;
}

int64_t Workspace::Current() const {
  ProcessResult current = Cli({"current"});
  if (!current.exited(0)) throw std::runtime_error("current failed: " + current.Describe());
  std::vector<std::string> lines = Lines(current.out);
  int64_t version = 0;
  if (lines.size() != 1 || !ParseInteger(lines[0], &version))
    throw std::runtime_error("current printed no version: " + current.Describe());
  return version;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> LinesWith(const std::string& text, const std::string& needle) {
  std::vector<std::string> found;
  for (std::string& line : Lines(text))
    if (line.find(needle) != std::string::npos) found.push_back(std::move(line));
  return found;
}

std::map<int64_t, int> Count(const std::vector<int64_t>& values) {
  std::map<int64_t, int> counts;
  for (int64_t value : values) ++counts[value];
  return counts;
}

std::string DescribeLedger(const std::vector<int64_t>& ledger, int64_t first, int64_t last) {
  std::map<int64_t, int> counts = Count(ledger);
  std::string missing, twice, unexpected;
  for (int64_t version = first; version <= last; ++version)
    if (counts.find(version) == counts.end()) missing += " " + std::to_string(version);
  for (const auto& [version, count] : counts) {
    if (version < first || version > last) unexpected += " " + std::to_string(version);
    if (count > 1) twice += " " + std::to_string(version) + "(x" + std::to_string(count) + ")";
  }
  if (missing.empty() && twice.empty() && unexpected.empty())
    return "versions " + std::to_string(first) + ".." + std::to_string(last) + ", each once";
  return std::to_string(ledger.size()) + " rows; missing:" + (missing.empty() ? " none" : missing) +
         "; more than once:" + (twice.empty() ? " none" : twice) +
         "; unexpected:" + (unexpected.empty() ? " none" : unexpected);
}

}  // namespace lm::safety
