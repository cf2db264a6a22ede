/* Version 31, in plain C: adds its ledger row through the store's sqlite3
 * connection, then fails the C ABI way (host->set_error and LM_ERROR). */
#include <link_migration/migration.h>
#include <sqlite3.h>
#include <stddef.h>

#ifndef LM_SOURCE_CHECKSUM
#define LM_SOURCE_CHECKSUM NULL
#endif

static lm_result c_error_up(const lm_migration* self, const lm_host* host, lm_context* ctx) {
  sqlite3* db = (sqlite3*)host->native_handle(ctx, "sqlite3");
  char* message = NULL;
  (void)self;
  if (db == NULL) {
    host->set_error(ctx, "c_error_31 needs the sqlite store's connection");
    return LM_ERROR;
  }
  if (sqlite3_exec(db,
                   "CREATE TABLE IF NOT EXISTS ledger (version INTEGER PRIMARY KEY);"
                   "INSERT INTO ledger (version) VALUES (31)",
                   NULL, NULL, &message) != SQLITE_OK) {
    host->set_error(ctx, message != NULL ? message : "sqlite3_exec failed");
    sqlite3_free(message);
    return LM_ERROR;
  }
  host->log(ctx, LM_LOG_INFO, "c_error_31 wrote its row");
  host->set_error(ctx, "c_error_31 refuses: plain C step returned LM_ERROR");
  return LM_ERROR;
}

static const lm_migration c_error_31 = {
    .struct_size = sizeof(lm_migration),
    .version = 31,
    .name = "c_error_31",
    .description = "A plain C migration that always fails.",
    .checksum = LM_SOURCE_CHECKSUM,
    .up = c_error_up,
};
LM_REGISTER_MIGRATION(c_error_31);
