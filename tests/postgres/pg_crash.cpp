// Version 3: creates the stock table, then, while params.crash_3 is true,
// kills its own process (the worker) in the middle of the transaction. The
// supervising runner must record the death under the worker's run id, which
// needs the store's lock the dead worker held.
#include <csignal>

#include "pg_migration.hpp"

LINK_MIGRATION({
    .version = 3,
    .name = "create_stock",
    .description = "Creates the stock table; the worker dies half-way while params.crash_3 is true.",
    .up =
        [](link_migration::Context& ctx) {
          pg_migration::exec(ctx,
                             "CREATE TABLE {schema}.stock (item integer REFERENCES {schema}.items, count integer)");
          if (ctx.param("crash_3") == "true") std::raise(SIGKILL);
        },
    .down = [](link_migration::Context& ctx) { pg_migration::exec(ctx, "DROP TABLE {schema}.stock"); },
});
