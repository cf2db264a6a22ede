// A bundle library: versions 20, 21 and 22 from one plugin, declared out of
// order (the runner sorts by version).
#include "ledger.hpp"

using link_migration::Context;

LINK_MIGRATION({
    .version = 22,
    .name = "bundle_22",
    .up = [](Context& ctx) { ledger::add(ctx, 22); },
    .down = [](Context& ctx) { ledger::remove(ctx, 22); },
});

LINK_MIGRATION({
    .version = 20,
    .name = "bundle_20",
    .up = [](Context& ctx) { ledger::add(ctx, 20); },
    .down = [](Context& ctx) { ledger::remove(ctx, 20); },
});

LINK_MIGRATION({
    .version = 21,
    .name = "bundle_21",
    .up = [](Context& ctx) { ledger::add(ctx, 21); },
    .down = [](Context& ctx) { ledger::remove(ctx, 21); },
});
