// Version 2: creates the prices table, fills it, then, while
// params.fail_2 is true, fails half-way with a statement the server
// rejects. Its table must then be gone with its record.
#include "pg_migration.hpp"

LINK_MIGRATION({
    .version = 2,
    .name = "create_prices",
    .description = "Creates and fills the prices table; fails half-way while params.fail_2 is true.",
    .up =
        [](link_migration::Context& ctx) {
          pg_migration::exec(ctx,
                             "CREATE TABLE {schema}.prices (item integer REFERENCES {schema}.items, cents bigint)");
          pg_migration::exec(ctx, "INSERT INTO {schema}.prices VALUES (1, 250)");
          ctx.info("created table prices");
          if (ctx.param("fail_2") == "true") {
            pg_migration::exec(ctx, "INSERT INTO {schema}.prices VALUES (1, 'not a number')");
          }
        },
    .down = [](link_migration::Context& ctx) { pg_migration::exec(ctx, "DROP TABLE {schema}.prices"); },
});
