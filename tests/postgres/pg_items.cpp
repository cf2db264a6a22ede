// Version 1: creates the items table and its first row.
#include "pg_migration.hpp"

LINK_MIGRATION({
    .version = 1,
    .name = "create_items",
    .description = "Creates the items table through the store's libpq connection.",
    .up =
        [](link_migration::Context& ctx) {
          pg_migration::exec(ctx, "CREATE TABLE {schema}.items (id integer PRIMARY KEY, name text NOT NULL)");
          pg_migration::exec(ctx, "INSERT INTO {schema}.items VALUES (1, 'first')");
          ctx.info("created table items");
        },
    .down = [](link_migration::Context& ctx) { pg_migration::exec(ctx, "DROP TABLE {schema}.items"); },
});
