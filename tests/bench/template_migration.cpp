// The one compiled migration plugin of the benchmark. gen.py copies it N times
// and patches each copy's version and LM_BENCH_TOKEN into a distinct
// migration, so N plugin files cost one compile.
#include <link_migration/migration.hpp>
#include <link_migration/sqlite.hpp>

#include "workload.h"

namespace sqlite = link_migration::sqlite;

LINK_MIGRATION({
    .version = LM_BENCH_TEMPLATE_VERSION,
    .name = "bench_" LM_BENCH_TOKEN,
    .up = [](link_migration::Context& ctx) { sqlite::exec(ctx, LM_BENCH_UP_SQL(LM_BENCH_TOKEN)); },
    .down = [](link_migration::Context& ctx) { sqlite::exec(ctx, LM_BENCH_DOWN_SQL(LM_BENCH_TOKEN)); },
});
