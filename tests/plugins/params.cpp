// Version 36: logs what it receives from the config's "params".
#include "ledger.hpp"

LINK_MIGRATION({
    .version = 36,
    .name = "params_36",
    .up =
        [](link_migration::Context& ctx) {
          ctx.info("greeting=" + ctx.param("greeting").value_or("(absent)"));
          ctx.info("count=" + ctx.param("count").value_or("(absent)"));
          ctx.info("missing=" + ctx.param("missing").value_or("(absent)"));
          ctx.info("greeting string=" + ctx.param_string("greeting"));
          ctx.info("quoted string=" + ctx.param_string("quoted"));
          ctx.info("all=" + ctx.params_json());
        },
    .down = [](link_migration::Context&) {},
});
