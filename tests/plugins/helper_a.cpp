// One of a pair: helper_a.cpp and helper_b.cpp each define the non-static
// function lm_test_helper_value(), returning different values. Loaded side
// by side, each migration must still see its own.
#include <string>

#include "ledger.hpp"

#ifndef HELPER_VERSION
#error "build with -DHELPER_VERSION=<n>"
#endif

__attribute__((noinline)) int lm_test_helper_value() { return 1111; }

LINK_MIGRATION({
    .version = HELPER_VERSION,
    .name = "helper_a_" LM_TEST_STR(HELPER_VERSION),
    .up = [](link_migration::Context& ctx) { ctx.info("helper value " + std::to_string(lm_test_helper_value())); },
    .down = [](link_migration::Context&) {},
});
