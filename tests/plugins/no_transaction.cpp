// Version 33, flagged LM_MIGRATION_NO_TRANSACTION: says whether it runs in a
// transaction, adds its ledger row, then fails while params.fail_33 is true.
#include <stdexcept>

#include "ledger.hpp"

LINK_MIGRATION({
    .version = 33,
    .name = "no_transaction_33",
    .up =
        [](link_migration::Context& ctx) {
          ctx.info(ctx.in_transaction() ? "in transaction: yes" : "in transaction: no");
          ledger::add(ctx, 33);
          if (ledger::param_is_true(ctx, "fail_33"))
            throw std::runtime_error("no_transaction_33: params.fail_33 is true");
        },
    .down = [](link_migration::Context& ctx) { ledger::remove(ctx, 33); },
    .flags = LM_MIGRATION_NO_TRANSACTION,
});
