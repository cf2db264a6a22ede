// Version 1, in C++: the notes table, with one row so that version 2 has
// something to tag.
#include <link_migration/migration.hpp>
#include <link_migration/sqlite.hpp>

namespace sqlite = link_migration::sqlite;

LINK_MIGRATION({
    .version = 1,
    .name = "create_notes",
    .description = "Creates the notes table with a first note.",
    .up =
        [](link_migration::Context& ctx) {
          sqlite::exec(ctx,
                       "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);"
                       "INSERT INTO notes (body) VALUES ('written by C++')");
          ctx.info("created table notes");
        },
    .down = [](link_migration::Context& ctx) { sqlite::exec(ctx, "DROP TABLE notes"); },
});
