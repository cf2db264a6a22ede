// What every bookshop migration shares: where its SQL goes.
//
// With the sqlite store (conf.json) a step's SQL runs on the store's own
// connection, so it commits or rolls back together with the version's record.
// That is the normal way, and all this header adds is a fallback for stores
// that have no connection to lend, such as the example version-file store
// (conf-version-file.json, the minimal two-function contract): the step then
// opens params.database itself and wraps its work in a transaction of its
// own. A failed step still changes nothing, but the store records the version
// separately, after the step has committed.
#ifndef BOOKSHOP_HPP
#define BOOKSHOP_HPP

#include <link_migration/migration.hpp>
#include <link_migration/sqlite.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

namespace bookshop {

// Runs work(db) on the bookshop database; see above.
template <class Work>
void with_database(const link_migration::Context& ctx, Work&& work) {
  if (sqlite3* store_db = ctx.native<sqlite3>("sqlite3")) {
    work(store_db);
    return;
  }
  // No store connection: params.database, relative to the config's folder
  // like every path in the config.
  std::string path = ctx.param_string("database");
  if (!path.empty() && path.front() != '/' && !ctx.config_dir().empty()) path = ctx.config_dir() + "/" + path;
  if (path.empty()) {
    throw std::runtime_error(
        "the version store has no sqlite3 connection, and params.database does not name "
        "the bookshop database");
  }
  ctx.debug("no store connection; opening " + path + " in a transaction of its own");
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    const std::string reason = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    throw std::runtime_error("cannot open " + path + ": " + reason);
  }
  struct Closer {
    sqlite3* db;
    ~Closer() { sqlite3_close_v2(db); }
  } closer{db};
  sqlite3_busy_timeout(db, 5000);
  link_migration::sqlite::exec(db, "BEGIN IMMEDIATE");
  try {
    work(db);
    link_migration::sqlite::exec(db, "COMMIT");
  } catch (...) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

// Runs an SQL script on the bookshop database.
inline void exec(const link_migration::Context& ctx, std::string_view sql) {
  with_database(ctx, [sql](sqlite3* db) { link_migration::sqlite::exec(db, sql); });
}

}  // namespace bookshop

#endif  // BOOKSHOP_HPP
