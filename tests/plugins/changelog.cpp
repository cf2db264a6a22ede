// Version CHANGELOG_VERSION (35; 45 as changelog_45): a data migration
// writing a changelog whose cells need CSV quoting on up, and one of the
// rows it puts back on down. While params.fail_<version> is true its up
// fails after writing the changelog and its ledger row.
#include <stdexcept>

#include "ledger.hpp"

#ifndef CHANGELOG_VERSION
#define CHANGELOG_VERSION 35
#endif

LINK_MIGRATION({
    .version = CHANGELOG_VERSION,
    .name = "changelog_" LM_TEST_STR(CHANGELOG_VERSION),
    .up =
        [](link_migration::Context& ctx) {
          ctx.changelog_columns({"id", "old", "new"});
          ctx.changelog_row({"1", "plain", "changed"});
          ctx.changelog_row({"2", "a,b", "say \"hi\""});
          ledger::add(ctx, CHANGELOG_VERSION);
          if (ledger::param_is_true(ctx, "fail_" LM_TEST_STR(CHANGELOG_VERSION)))
            throw std::runtime_error("changelog_" LM_TEST_STR(CHANGELOG_VERSION) " fails after writing its changelog");
        },
    .down =
        [](link_migration::Context& ctx) {
          ctx.changelog_columns({"id", "old", "new"});
          ctx.changelog_row({"1", "changed", "plain"});
          ledger::remove(ctx, CHANGELOG_VERSION);
        },
});
