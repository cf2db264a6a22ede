// What the test plugins share: the "ledger" table in the target SQLite
// database. Every test migration adds its row on up and removes it on down,
// so a test sees exactly which steps ran and which changes survived.
//
// The SQL runs on the sqlite store's own connection, inside the step's
// transaction. Stores that lend no connection (json-file, version-file) get
// the database named by params.ledger_db instead, opened for the call.
#ifndef LM_TEST_PLUGINS_LEDGER_HPP
#define LM_TEST_PLUGINS_LEDGER_HPP

#include <link_migration/migration.hpp>
#include <link_migration/sqlite.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>

#define LM_TEST_STR_(x) #x
#define LM_TEST_STR(x) LM_TEST_STR_(x)

namespace ledger {

using link_migration::Context;

template <class Work>
void with_db(const Context& ctx, Work&& work) {
  if (sqlite3* db = ctx.native<sqlite3>("sqlite3")) {
    work(db);
    return;
  }
  const std::string path = ctx.param_string("ledger_db");
  if (path.empty()) throw std::runtime_error("no sqlite3 connection and no params.ledger_db");
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error("cannot open " + path);
  }
  struct Closer {
    sqlite3* db;
    ~Closer() { sqlite3_close(db); }
  } closer{db};
  work(db);
}

inline void add(const Context& ctx, std::int64_t version) {
  with_db(ctx, [&](sqlite3* db) {
    link_migration::sqlite::exec(db, "CREATE TABLE IF NOT EXISTS ledger (version INTEGER PRIMARY KEY)");
    link_migration::sqlite::Statement(db, "INSERT INTO ledger (version) VALUES (?1)").bind_int64(1, version).run();
  });
}

inline void remove(const Context& ctx, std::int64_t version) {
  with_db(ctx, [&](sqlite3* db) {
    link_migration::sqlite::Statement remove(db, "DELETE FROM ledger WHERE version = ?1");
    if (remove.bind_int64(1, version).run() != 1)
      throw std::runtime_error("the ledger has no row for version " + std::to_string(version));
  });
}

// True when params[key] is the JSON literal true.
inline bool param_is_true(const Context& ctx, const char* key) { return ctx.param(key) == "true"; }

}  // namespace ledger

#endif  // LM_TEST_PLUGINS_LEDGER_HPP
