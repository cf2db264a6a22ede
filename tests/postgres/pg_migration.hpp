// What the end-to-end test's migrations share: SQL run on the postgres
// store's own connection (native handle "libpq"), inside the step's
// transaction, in the schema named by params.schema.
#ifndef LM_TEST_POSTGRES_PG_MIGRATION_HPP
#define LM_TEST_POSTGRES_PG_MIGRATION_HPP

#include <libpq-fe.h>

#include <link_migration/migration.hpp>
#include <stdexcept>
#include <string>

namespace pg_migration {

// Runs `sql` (with "{schema}" replaced by params.schema) on the store's
// connection; throws with the server's message when it fails.
inline void exec(const link_migration::Context& ctx, std::string sql) {
  PGconn* conn = ctx.require_native<PGconn>("libpq");
  const std::string schema = ctx.param_string("schema");
  if (schema.empty()) throw std::runtime_error("params.schema is not set");
  for (size_t at; (at = sql.find("{schema}")) != std::string::npos;) sql.replace(at, 8, "\"" + schema + "\"");
  PGresult* result = PQexec(conn, sql.c_str());
  const bool ok = PQresultStatus(result) == PGRES_COMMAND_OK || PQresultStatus(result) == PGRES_TUPLES_OK;
  const std::string error = PQresultErrorMessage(result);
  PQclear(result);
  if (!ok) throw std::runtime_error(sql + ": " + error);
}

}  // namespace pg_migration

#endif  // LM_TEST_POSTGRES_PG_MIGRATION_HPP
