// Version 35: a data migration writing a changelog whose cells need CSV
// quoting on up, and one of the rows it puts back on down.
#include "ledger.hpp"

LINK_MIGRATION({
    .version = 35,
    .name = "changelog_35",
    .up =
        [](link_migration::Context& ctx) {
          ctx.changelog_columns({"id", "old", "new"});
          ctx.changelog_row({"1", "plain", "changed"});
          ctx.changelog_row({"2", "a,b", "say \"hi\""});
          ledger::add(ctx, 35);
        },
    .down =
        [](link_migration::Context& ctx) {
          ctx.changelog_columns({"id", "old", "new"});
          ctx.changelog_row({"1", "changed", "plain"});
          ledger::remove(ctx, 35);
        },
});
