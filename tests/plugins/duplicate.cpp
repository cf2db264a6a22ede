// Version 2 again: clashes with ledger_2.
#include "ledger.hpp"

LINK_MIGRATION({
    .version = 2,
    .name = "duplicate_of_2",
    .up = [](link_migration::Context& ctx) { ledger::add(ctx, 2); },
});
