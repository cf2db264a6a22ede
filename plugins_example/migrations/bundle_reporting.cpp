// Versions 7, 8 and 9: a bundle library. One plugin declares several
// migrations; each is versioned, applied and reverted on its own. They share
// this file's checksum, so editing any of them marks all three as changed.
//
// Three read-only reporting views over the catalog.
#include <link_migration/migration.hpp>

#include "bookshop.hpp"

using link_migration::Context;

LINK_MIGRATION({
    .version = 7,
    .name = "create_report_books",
    .description = "Adds the view report_books: every book with its author and price.",
    .up =
        [](Context& ctx) {
          bookshop::exec(ctx, R"sql(
            CREATE VIEW report_books AS
            SELECT b.id, b.title, a.name AS author, b.price_cents, b.currency
            FROM books AS b JOIN authors AS a ON a.id = b.author_id
          )sql");
        },
    .down = [](Context& ctx) { bookshop::exec(ctx, "DROP VIEW report_books"); },
});

LINK_MIGRATION({
    .version = 8,
    .name = "create_report_catalog_value",
    .description = "Adds the view report_catalog_value: titles and list value per currency.",
    .up =
        [](Context& ctx) {
          bookshop::exec(ctx, R"sql(
            CREATE VIEW report_catalog_value AS
            SELECT currency, COUNT(*) AS titles, SUM(price_cents) AS value_cents
            FROM books GROUP BY currency
          )sql");
        },
    .down = [](Context& ctx) { bookshop::exec(ctx, "DROP VIEW report_catalog_value"); },
});

LINK_MIGRATION({
    .version = 9,
    .name = "create_report_author_titles",
    .description = "Adds the view report_author_titles: how many titles each author has.",
    .up =
        [](Context& ctx) {
          bookshop::exec(ctx, R"sql(
            CREATE VIEW report_author_titles AS
            SELECT a.id, a.name, COUNT(b.id) AS titles
            FROM authors AS a LEFT JOIN books AS b ON b.author_id = a.id
            GROUP BY a.id, a.name
          )sql");
          ctx.info(
              "reporting views ready: report_books, report_catalog_value, report_author_titles");
        },
    .down = [](Context& ctx) { bookshop::exec(ctx, "DROP VIEW report_author_titles"); },
});
