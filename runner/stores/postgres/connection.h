// One libpq connection and its results, with failures turned into Status:
// the server's own message and SQLSTATE, and the lm_result that fits (a lost
// or refused connection is LM_ERR_UNAVAILABLE).
//
// Messages may quote libpq and the server verbatim; the store passes every
// message through its Redactor before it leaves the plugin.
//
// Not thread-safe: one thread uses a connection at a time.
#ifndef LINK_MIGRATION_STORES_POSTGRES_CONNECTION_H
#define LINK_MIGRATION_STORES_POSTGRES_CONNECTION_H

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/record.h"
#include "common/status.h"

namespace lm::stores {

// What a connection is opened with.
struct ConnectParams {
  std::string conninfo;                 // libpq connection string or URI, as configured
  std::optional<std::string> password;  // from password_env; overrides the conninfo's
  std::string application_name;         // names this run in pg_stat_activity
};

// A query's result; clears itself.
class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(PGresult* result) : result_(result) {}
  ~PgResult() { PQclear(result_); }
  PgResult(PgResult&& other) noexcept : result_(other.release()) {}
  PgResult& operator=(PgResult&& other) noexcept;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;

  PGresult* get() const { return result_; }
  PGresult* release();

  int rows() const { return result_ == nullptr ? 0 : PQntuples(result_); }
  bool IsNull(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }
  // Text of a column (rows and columns from 0); NULL comes back as nullopt.
  OptionalString Text(int row, int column) const;
  // A column of an integer type; NULL reads as 0.
  int64_t Int(int row, int column) const;
  bool Bool(int row, int column) const;
  // Rows changed by an INSERT, UPDATE or DELETE.
  int64_t AffectedRows() const;
  std::string CommandStatus() const { return result_ == nullptr ? "" : PQcmdStatus(result_); }

 private:
  PGresult* result_ = nullptr;
};

class PgConnection {
 public:
  // Connects, waiting at most the conninfo's connect_timeout (10 s unless
  // it or PGCONNECT_TIMEOUT says otherwise). The session's client encoding
  // is UTF-8. A failure to connect is LM_ERR_UNAVAILABLE.
  static Status Open(const ConnectParams& params, std::unique_ptr<PgConnection>* out);
  ~PgConnection() { PQfinish(conn_); }
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  PGconn* get() const { return conn_; }

  // Runs one statement; parameters are $1, $2, ... in text form, nullopt
  // for NULL, and made valid UTF-8 (ValidUtf8). `what` starts the message of a failure ("cannot store a
  // record"). *result, if given, receives the result.
  Status Exec(const std::string& what, const std::string& sql, const std::vector<OptionalString>& params = {},
              PgResult* result = nullptr);

  // Whether the session is inside a transaction block (PQtransactionStatus
  // is INTRANS or INERROR).
  bool InTransaction() const;
  // True once the connection is known to be broken.
  bool Broken() const { return PQstatus(conn_) == CONNECTION_BAD; }
  // Reconnects a broken connection, with the parameters it was opened with.
  Status Reset();

  // "database \"app\" on 127.0.0.1:5432", for messages. Never the conninfo.
  std::string Describe() const;
  int server_version() const { return PQserverVersion(conn_); }

 private:
  explicit PgConnection(PGconn* conn) : conn_(conn) {}
  Status Failure(const std::string& what, const PGresult* result) const;

  PGconn* conn_;
};

// libpq text and server messages as one line: whitespace runs (libpq's
// "\n\t" continuation lines) become one space, and the ends are trimmed.
std::string OneLine(const char* text);

// `text` as valid UTF-8: each byte that does not belong to a well-formed
// sequence becomes U+FFFD, so a stray byte in an error message cannot make
// the server refuse the record that carries it.
std::string ValidUtf8(std::string_view text);

// "name" as a quoted SQL identifier ("we""ird" for we"ird).
std::string QuoteIdentifier(const std::string& name);

}  // namespace lm::stores

#endif  // LINK_MIGRATION_STORES_POSTGRES_CONNECTION_H
