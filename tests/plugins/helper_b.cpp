// The other half of helper_a.cpp: the same non-static function name,
// another value.
#include <string>

#include "ledger.hpp"

#ifndef HELPER_VERSION
#error "build with -DHELPER_VERSION=<n>"
#endif

__attribute__((noinline)) int lm_test_helper_value() { return 2222; }

LINK_MIGRATION({
    .version = HELPER_VERSION,
    .name = "helper_b_" LM_TEST_STR(HELPER_VERSION),
    .up = [](link_migration::Context& ctx) { ctx.info("helper value " + std::to_string(lm_test_helper_value())); },
    .down = [](link_migration::Context&) {},
});
