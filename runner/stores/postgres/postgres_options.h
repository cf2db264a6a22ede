// The postgres store's "options" object:
//
//   {"conninfo": "host=db.internal dbname=app user=deploy",  // required
//    "password_env": "APP_DB_PASSWORD",  // env variable holding the password
//    "schema": "public",                 // created if missing
//    "table_prefix": "link_migration_",
//    "lock": "advisory",                 // or "lease" (behind PgBouncer)
//    "lease_seconds": 30}                // lease length, "lease" only
#ifndef LINK_MIGRATION_STORES_POSTGRES_POSTGRES_OPTIONS_H
#define LINK_MIGRATION_STORES_POSTGRES_POSTGRES_OPTIONS_H

#include <optional>
#include <string>

#include "common/status.h"
#include "postgres/redactor.h"

namespace lm::stores {

enum class LockMode { kAdvisory, kLease };

struct PostgresOptions {
  std::string conninfo;
  std::optional<std::string> password;  // the value of the password_env variable
  std::string schema = "public";
  std::string table_prefix = "link_migration_";
  LockMode lock = LockMode::kAdvisory;
  int lease_seconds = 30;
};

// Reads and checks `options_json`. Every password found (the password_env
// variable's value, a password inside the conninfo) is added to *redactor
// before anything can fail with a message that might show it.
Status ParsePostgresOptions(const char* options_json, PostgresOptions* out, Redactor* redactor);

}  // namespace lm::stores

#endif  // LINK_MIGRATION_STORES_POSTGRES_POSTGRES_OPTIONS_H
