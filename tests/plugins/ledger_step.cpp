// One reversible ledger migration; built once per version with
// LEDGER_VERSION defined (ledger_1 ... ledger_4).
#include "ledger.hpp"

#ifndef LEDGER_VERSION
#error "build with -DLEDGER_VERSION=<n>"
#endif

LINK_MIGRATION({
    .version = LEDGER_VERSION,
    .name = "ledger_" LM_TEST_STR(LEDGER_VERSION),
    .description = "Adds row " LM_TEST_STR(LEDGER_VERSION) " to the ledger.",
    .up = [](link_migration::Context& ctx) { ledger::add(ctx, LEDGER_VERSION); },
    .down = [](link_migration::Context& ctx) { ledger::remove(ctx, LEDGER_VERSION); },
});
