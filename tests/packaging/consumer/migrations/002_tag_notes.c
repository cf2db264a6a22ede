/* Version 2, in plain C: the tags table, a second note and a tag on every
 * note, through the sqlite store's own connection; down takes exactly that
 * away again. Also built inside link-migration's tree (tests/packaging), so
 * the runner's plain C path is tested without an install. */
#include <link_migration/migration.h>
#include <sqlite3.h>
#include <stddef.h>

static lm_result run_sql(const lm_host* host, lm_context* ctx, const char* sql) {
  sqlite3* db = (sqlite3*)host->native_handle(ctx, "sqlite3");
  char* message = NULL;
  if (db == NULL) {
    host->set_error(ctx, "tag_notes needs the sqlite store's connection");
    return LM_ERROR;
  }
  if (sqlite3_exec(db, sql, NULL, NULL, &message) != SQLITE_OK) {
    host->set_error(ctx, message != NULL ? message : "sqlite3_exec failed");
    sqlite3_free(message);
    return LM_ERROR;
  }
  return LM_OK;
}

static lm_result tag_notes_up(const lm_migration* self, const lm_host* host, lm_context* ctx) {
  (void)self;
  host->log(ctx, LM_LOG_INFO, "tagging notes from plain C");
  return run_sql(host, ctx,
                 "CREATE TABLE tags (note_id INTEGER NOT NULL REFERENCES notes (id), tag TEXT NOT NULL);"
                 "INSERT INTO notes (body) VALUES ('written by C');"
                 "INSERT INTO tags (note_id, tag) SELECT id, 'plain-c' FROM notes");
}

static lm_result tag_notes_down(const lm_migration* self, const lm_host* host, lm_context* ctx) {
  (void)self;
  return run_sql(host, ctx, "DROP TABLE tags; DELETE FROM notes WHERE body = 'written by C'");
}

static const lm_migration tag_notes = {
    .struct_size = sizeof(lm_migration),
    .version = 2,
    .name = "tag_notes",
    .description = "Adds the tags table, a note written in C, and a tag on every note.",
    .checksum = LM_SOURCE_CHECKSUM,
    .up = tag_notes_up,
    .down = tag_notes_down,
};
LM_REGISTER_MIGRATION(tag_notes);
