// Version 38: its lm_meta section reads like any other, but it calls a
// function no library defines, so loading it with immediate binding fails:
// a plugin built against a newer library than the target machine has.
#include "ledger.hpp"

extern "C" int lm_test_defined_nowhere(void);

LINK_MIGRATION({
    .version = 38,
    .name = "unresolved_38",
    .up = [](link_migration::Context& ctx) { ledger::add(ctx, 38 + lm_test_defined_nowhere()); },
});
