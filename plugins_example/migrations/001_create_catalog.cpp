// Version 1: the catalog's two tables.
#include <link_migration/migration.hpp>

#include "bookshop.hpp"

using link_migration::Context;

LINK_MIGRATION({
    .version = 1,
    .name = "create_catalog",
    .description =
        "Creates the authors and books tables. books.legacy_sku keeps the article number "
        "of the shop's previous system until version 6 drops it.",
    .up =
        [](Context& ctx) {
          bookshop::exec(ctx, R"sql(
            CREATE TABLE authors (
              id   INTEGER PRIMARY KEY,
              name TEXT NOT NULL
            );
            CREATE TABLE books (
              id          INTEGER PRIMARY KEY,
              author_id   INTEGER NOT NULL REFERENCES authors (id),
              title       TEXT NOT NULL,
              price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
              legacy_sku  TEXT
            );
            CREATE UNIQUE INDEX books_legacy_sku ON books (legacy_sku);
          )sql");
          ctx.info("created tables authors and books");
        },
    .down =
        [](Context& ctx) {
          // books first: it refers to authors. Its indexes go with it.
          bookshop::exec(ctx, "DROP TABLE books; DROP TABLE authors;");
        },
});
