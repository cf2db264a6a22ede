// Version 32: adds its ledger row, then fails while params.fail_32 is true
// (or "multi-line": then with an error message of two lines, which a
// plugin should not give but the runner must survive). Changing the param
// and running again is "fixing" it.
#include <stdexcept>

#include "ledger.hpp"

LINK_MIGRATION({
    .version = 32,
    .name = "param_fail_32",
    .up =
        [](link_migration::Context& ctx) {
          ledger::add(ctx, 32);
          if (ledger::param_is_true(ctx, "fail_32"))
            throw std::runtime_error("param_fail_32: params.fail_32 is true");
          if (ctx.param("fail_32") == "\"multi-line\"")
            throw std::runtime_error("param_fail_32: first line\nsecond line");
        },
    .down = [](link_migration::Context& ctx) { ledger::remove(ctx, 32); },
});
