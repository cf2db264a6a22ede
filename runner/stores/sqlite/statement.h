// A prepared statement that finalizes itself, with binding and reading of
// optional strings, so NULL round-trips as NULL.
#ifndef LINK_MIGRATION_STORES_SQLITE_STATEMENT_H
#define LINK_MIGRATION_STORES_SQLITE_STATEMENT_H

#include <sqlite3.h>

#include <cstdint>
#include <string>

#include "common/record.h"

namespace lm::stores {

class Statement {
 public:
  Statement() = default;
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Returns the sqlite3_prepare_v3 result code. `flags`: SQLITE_PREPARE_*,
  // e.g. SQLITE_PREPARE_PERSISTENT for a statement kept for the connection's
  // life.
  int Prepare(sqlite3* db, const std::string& sql, unsigned int flags = 0);
  bool prepared() const { return stmt_ != nullptr; }
  void Finalize() {
    sqlite3_finalize(stmt_);
    stmt_ = nullptr;
  }

  // Parameters are numbered from 1, as in SQLite.
  void Bind(int index, int64_t value) { sqlite3_bind_int64(stmt_, index, value); }
  void Bind(int index, const OptionalString& value);
  void Bind(int index, const char* value) { sqlite3_bind_text(stmt_, index, value, -1, SQLITE_TRANSIENT); }

  // SQLITE_ROW, SQLITE_DONE, or an error code.
  int Step() { return sqlite3_step(stmt_); }
  // Makes the statement ready to step again from the start.
  void Reset() { sqlite3_reset(stmt_); }
  // Makes a kept statement idle between uses: reset, so it holds no lock
  // and no open read, and without its bindings, so it keeps no copy of a
  // caller's values.
  void Release() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  // Columns are numbered from 0, as in SQLite.
  int64_t Int(int column) { return sqlite3_column_int64(stmt_, column); }
  OptionalString Text(int column);
  // The column's text as SQLite holds it (NULL for NULL), valid until the
  // next Step, Reset or Finalize.
  const char* TextView(int column) { return reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column)); }
  bool IsNull(int column) { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace lm::stores

#endif  // LINK_MIGRATION_STORES_SQLITE_STATEMENT_H
