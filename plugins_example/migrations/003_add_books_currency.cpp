// Version 3: a column for the currency of books.price_cents. It starts out
// NULL; version 4 fills it in.
#include <link_migration/migration.hpp>

#include "bookshop.hpp"

using link_migration::Context;

LINK_MIGRATION({
    .version = 3,
    .name = "add_books_currency",
    .description = "Adds books.currency (ISO 4217 code, NULL until backfilled).",
    .up = [](Context& ctx) { bookshop::exec(ctx, "ALTER TABLE books ADD COLUMN currency TEXT"); },
    .down = [](Context& ctx) { bookshop::exec(ctx, "ALTER TABLE books DROP COLUMN currency"); },
});
