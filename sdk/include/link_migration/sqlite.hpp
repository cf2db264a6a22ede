// link-migration: an optional helper for migrations that run SQL against
// SQLite, usually through the sqlite version store's own connection so that a
// step's changes commit in the same transaction as its version record.
//
//   #include <link_migration/sqlite.hpp>
//   namespace sqlite = link_migration::sqlite;
//
//   .up = [](link_migration::Context& ctx) {
//     sqlite::exec(ctx, "ALTER TABLE books ADD COLUMN isbn TEXT");
//     sqlite::Statement update(ctx, "UPDATE books SET isbn = ?1 WHERE id = ?2");
//     update.bind_text(1, "978-0").bind_int64(2, 7).run();
//   },
//
// Header-only; a plugin that includes it links SQLite itself
// (SQLite::SQLite3 in CMake). The store's sqlite3* is then used through the
// plugin's copy of the library, so the store and the plugin must share one
// libsqlite3 (both linking the system shared library does that).
//
// Every failure throws std::runtime_error carrying SQLite's message and the
// first line of the failing statement. LINK_MIGRATION's trampoline turns the
// exception into the step's error; nothing here throws across the C ABI.
#ifndef LINK_MIGRATION_SQLITE_HPP
#define LINK_MIGRATION_SQLITE_HPP

#include <sqlite3.h>

#include <cstdint>
#include <link_migration/migration.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace link_migration::sqlite {

// The version store's connection. Throws when the store offers none (a store
// other than "sqlite"). Owned by the store: never close it.
inline sqlite3* connection(const Context& ctx) { return ctx.require_native<sqlite3>("sqlite3"); }

namespace detail {

// The first line of a statement, after blanks and comments, shortened for an
// error message.
inline std::string first_line(std::string_view sql) {
  for (;;) {
    const auto start = sql.find_first_not_of(" \t\r\n");
    if (start == std::string_view::npos) return {};
    sql.remove_prefix(start);
    if (sql.substr(0, 2) == "--") {
      const auto end = sql.find('\n');
      if (end == std::string_view::npos) return {};
      sql.remove_prefix(end + 1);
    } else if (sql.substr(0, 2) == "/*") {
      const auto end = sql.find("*/", 2);
      if (end == std::string_view::npos) return {};
      sql.remove_prefix(end + 2);
    } else {
      break;
    }
  }
  sql = sql.substr(0, sql.find_first_of("\r\n"));
  constexpr std::size_t kMax = 120;
  if (sql.size() > kMax) return std::string(sql.substr(0, kMax)) + "...";
  return std::string(sql);
}

[[noreturn]] inline void fail(std::string_view message, std::string_view sql) {
  throw std::runtime_error("sqlite: " + std::string(message) + " (in: " + first_line(sql) + ")");
}

}  // namespace detail

// Runs a script of one or more statements, in order, discarding any rows.
// Throws at the first statement that fails, naming it; statements before it
// have run (the step's transaction, if any, undoes them).
inline void exec(sqlite3* db, std::string_view sql) {
  const char* cursor = sql.data();
  const char* const end = sql.data() + sql.size();
  while (cursor < end) {
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    const std::string_view rest(cursor, static_cast<std::size_t>(end - cursor));
    if (sqlite3_prepare_v2(db, cursor, static_cast<int>(rest.size()), &stmt, &tail) != SQLITE_OK)
      detail::fail(sqlite3_errmsg(db), rest);
    if (stmt == nullptr) {  // only blanks or comments were left
      if (tail == nullptr || tail <= cursor) break;
      cursor = tail;
      continue;
    }
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    }
    if (rc != SQLITE_DONE) {
      const std::string message = sqlite3_errmsg(db);
      sqlite3_finalize(stmt);
      detail::fail(message, rest);
    }
    sqlite3_finalize(stmt);
    cursor = tail;
  }
}

// The same on the version store's connection.
inline void exec(const Context& ctx, std::string_view sql) { exec(connection(ctx), sql); }

// One prepared statement: bind parameters (1-based, as in SQLite), step
// through rows, read columns (0-based). Not copyable; finalized on
// destruction.
class Statement {
 public:
  // Compiles exactly one statement; text after it other than blanks and ';'
  // throws (use exec() for scripts).
  Statement(sqlite3* db, std::string_view sql) : db_(db), sql_(sql) {
    const char* tail = nullptr;
    if (sqlite3_prepare_v2(db_, sql_.c_str(), static_cast<int>(sql_.size()), &stmt_, &tail) !=
        SQLITE_OK) {
      detail::fail(sqlite3_errmsg(db_), sql_);
    }
    if (stmt_ == nullptr) detail::fail("no SQL statement to prepare", sql_);
    const std::string_view rest(tail, static_cast<std::size_t>(sql_.data() + sql_.size() - tail));
    if (rest.find_first_not_of(" \t\r\n;") != std::string_view::npos) {
      sqlite3_finalize(stmt_);
      detail::fail("a Statement takes one SQL statement; run scripts with exec()", sql_);
    }
  }
  Statement(const Context& ctx, std::string_view sql) : Statement(connection(ctx), sql) {}

  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& other) noexcept
      : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)), sql_(std::move(other.sql_)) {}
  Statement& operator=(Statement&& other) noexcept {
    if (this != &other) {
      sqlite3_finalize(stmt_);
      db_ = other.db_;
      stmt_ = std::exchange(other.stmt_, nullptr);
      sql_ = std::move(other.sql_);
    }
    return *this;
  }
  ~Statement() { sqlite3_finalize(stmt_); }

  // Parameters are 1-based; text is copied by SQLite.
  Statement& bind_text(int index, std::string_view value) {
    check(sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                            SQLITE_TRANSIENT));
    return *this;
  }
  Statement& bind_int64(int index, std::int64_t value) {
    check(sqlite3_bind_int64(stmt_, index, static_cast<sqlite3_int64>(value)));
    return *this;
  }
  Statement& bind_null(int index) {
    check(sqlite3_bind_null(stmt_, index));
    return *this;
  }

  // Advances to the next row: true when one is ready to read, false when the
  // statement is done.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    detail::fail(sqlite3_errmsg(db_), sql_);
  }

  // Steps to the end, ignoring rows; returns the rows changed
  // (sqlite3_changes) for an INSERT, UPDATE or DELETE.
  std::int64_t run() {
    while (step()) {
    }
    return sqlite3_changes(db_);
  }

  // Makes the statement ready to step again; bindings are kept unless
  // clear_bindings is set.
  void reset(bool clear_bindings = false) {
    sqlite3_reset(stmt_);
    if (clear_bindings) sqlite3_clear_bindings(stmt_);
  }

  // Columns of the current row are 0-based. NULL reads as 0 or "".
  bool column_is_null(int column) const {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
  }
  std::int64_t column_int64(int column) const {
    return static_cast<std::int64_t>(sqlite3_column_int64(stmt_, column));
  }
  std::string column_text(int column) const {
    const unsigned char* text = sqlite3_column_text(stmt_, column);
    if (text == nullptr) return {};
    return std::string(reinterpret_cast<const char*>(text),
                       static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
  }

  sqlite3_stmt* get() const { return stmt_; }

 private:
  void check(int rc) const {
    if (rc != SQLITE_OK) detail::fail(sqlite3_errmsg(db_), sql_);
  }

  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string sql_;
};

}  // namespace link_migration::sqlite

#endif  // LINK_MIGRATION_SQLITE_HPP
