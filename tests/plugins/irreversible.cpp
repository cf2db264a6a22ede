// Version 5: adds its ledger row and has no down step.
#include "ledger.hpp"

LINK_MIGRATION({
    .version = 5,
    .name = "irreversible_5",
    .description = "Adds row 5 to the ledger; cannot be undone.",
    .up = [](link_migration::Context& ctx) { ledger::add(ctx, 5); },
    .up_note = "irreversible: there is no way back below version 5",
});
