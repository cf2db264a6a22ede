// One test's world: a fresh folder holding a config, a migrations folder the
// test fills with copies of the safety plugins, the store (SQLite file,
// JSON file, or a PostgreSQL database made for the test) and the ledger the
// plugins append to. Commands run the real link-migration binary.
#ifndef LINK_MIGRATION_TESTS_SAFETY_SAFETY_ENV_H
#define LINK_MIGRATION_TESTS_SAFETY_SAFETY_ENV_H

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "support/files.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace lm::safety {

// The shared test helpers (tests/support), by the names the safety tests use.
using lm::test::ChildrenOf;
using lm::test::Clock;
using lm::test::EnableReaping;
using lm::test::milliseconds;
using lm::test::PidWatch;
using lm::test::PollUntil;
using lm::test::Process;
using lm::test::ProcessResult;
using lm::test::ReadFile;
using lm::test::Run;
using lm::test::StartGate;
using lm::test::StartOptions;
using lm::test::TempDir;
using lm::test::WriteFile;

// `text` cut at its newlines.
std::vector<std::string> Lines(const std::string& text);
// The lines of `text` that contain `needle`.
std::vector<std::string> LinesWith(const std::string& text, const std::string& needle);

enum class StoreKind { kSqlite, kJsonFile, kPostgresAdvisory, kPostgresLease };

// "sqlite", "json_file", "postgres_advisory", "postgres_lease": for test names.
std::string StoreKindName(StoreKind kind);
bool IsPostgres(StoreKind kind);
// For gtest's messages about parameters.
void PrintTo(StoreKind kind, std::ostream* out);
// Whether each step and its record commit together (sqlite, postgres).
bool IsTransactional(StoreKind kind);

// The connection info of the `postgres` ctest fixture's server, read from
// the file named by $LM_SAFETY_PG_CONNINFO_FILE (set for the PostgreSQL tests
// by CMake); nullopt when that variable is unset (the caller skips). Throws
// when the file is missing or empty.
std::optional<std::string> PostgresServerConninfo();

// A database created for one test on the fixture's server, dropped with it.
class PostgresDatabase {
 public:
  // Throws when the server cannot be reached.
  explicit PostgresDatabase(const std::string& server_conninfo);
  ~PostgresDatabase();
  PostgresDatabase(const PostgresDatabase&) = delete;
  PostgresDatabase& operator=(const PostgresDatabase&) = delete;

  const std::string& conninfo() const { return conninfo_; }
  // The first column of every row of `sql`, as integers, in order; an
  // "undefined table" error gives no rows.
  std::vector<int64_t> QueryIntegers(const std::string& sql) const;

 private:
  std::string server_conninfo_;
  std::string name_;
  std::string conninfo_;
};

struct HistoryEvent {
  std::string kind;  // apply, revert, fail, mark-applied, ...
  int64_t version = 0;
  std::string line;  // the whole line, for messages
};

class Workspace {
 public:
  // Throws (the test then fails) when the store cannot be set up; callers
  // check PostgresServerConninfo() first for the PostgreSQL kinds.
  explicit Workspace(StoreKind kind);
  ~Workspace();

  StoreKind kind() const { return kind_; }
  const std::filesystem::path& dir() const { return dir_.path(); }
  std::filesystem::path migrations() const { return dir() / "migrations"; }

  // Copies a built plugin into the migrations folder, as `file_name`
  // (default: its own name). Replaces a file of that name atomically.
  void AddPlugin(const std::string& built_path, const std::string& file_name = "");
  void RemovePlugin(const std::string& file_name);

  // params[key] = value; the config is rewritten.
  void SetParam(const std::string& key, const nlohmann::json& value);

  // link-migration -c <config> args...
  std::vector<std::string> Command(const std::vector<std::string>& args) const;
  ProcessResult Cli(const std::vector<std::string>& args, milliseconds timeout = milliseconds(60000)) const;
  Process Start(const std::vector<std::string>& args, const StartOptions& options = {}) const;

  // Every version in the ledger, in the order written (duplicates kept).
  std::vector<int64_t> Ledger() const;
  // `status`, parsed: version -> state ("applied", "running", ..., "pending"),
  // with its note when it has one ("applied, changed", "applied, no plugin").
  // Throws when status does not exit 0.
  std::map<int64_t, std::string> States() const;
  // `history`, parsed. Throws when history does not exit 0.
  std::vector<HistoryEvent> History() const;
  // `current`: the version it prints. Throws when current does not exit 0
  // or prints anything but a number on one line.
  int64_t Current() const;

 private:
  void WriteConfig() const;

  StoreKind kind_;
  TempDir dir_;
  std::unique_ptr<PostgresDatabase> database_;
  nlohmann::json store_;
  nlohmann::json params_ = nlohmann::json::object();
};

// The first column of every row of `sql` on the SQLite file `database`, as
// integers; a missing file or table gives no rows.
std::vector<int64_t> QuerySqlite(const std::filesystem::path& database, const std::string& sql);

// How many times each value occurs.
std::map<int64_t, int> Count(const std::vector<int64_t>& values);
// "1..50 once each", or what is wrong with it, for assertions.
std::string DescribeLedger(const std::vector<int64_t>& ledger, int64_t first, int64_t last);

}  // namespace lm::safety

#endif  // LINK_MIGRATION_TESTS_SAFETY_SAFETY_ENV_H
