// Version 6: an irreversible migration. The previous shop system is gone, and
// so is books.legacy_sku. There is no down: the values are deleted, and no
// step could bring them back. The last values go into the data changelog, so
// they remain on record outside the database.
#include <link_migration/migration.hpp>
#include <string>

#include "bookshop.hpp"

using link_migration::Context;
namespace sqlite = link_migration::sqlite;

LINK_MIGRATION({
    .version = 6,
    .name = "drop_books_legacy_sku",
    .description = "Drops books.legacy_sku, the previous system's article numbers.",
    .up =
        [](Context& ctx) {
          bookshop::with_database(ctx, [&](sqlite3* db) {
            ctx.changelog_columns({"book_id", "legacy_sku"});
            sqlite::Statement select(
                db, "SELECT id, legacy_sku FROM books WHERE legacy_sku IS NOT NULL ORDER BY id");
            int kept = 0;
            while (select.step()) {
              ctx.changelog_row({std::to_string(select.column_int64(0)), select.column_text(1)});
              ++kept;
            }
            ctx.info("recorded " + std::to_string(kept) + " legacy SKU(s) in the changelog");
            // SQLite refuses to drop an indexed column: the index goes first.
            sqlite::exec(db, R"sql(
              DROP INDEX books_legacy_sku;
              ALTER TABLE books DROP COLUMN legacy_sku;
            )sql");
          });
        },
    // No .down: irreversible.
    .up_note = "Irreversible: deletes books.legacy_sku and its values. They are written to this "
               "step's data changelog first; back up the database if you need more than that.",
});
