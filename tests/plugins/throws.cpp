// Version 30: adds its ledger row, then throws. On a transactional store the
// row must be gone afterwards.
#include <stdexcept>

#include "ledger.hpp"

LINK_MIGRATION({
    .version = 30,
    .name = "throws_30",
    .up =
        [](link_migration::Context& ctx) {
          ledger::add(ctx, 30);
          throw std::runtime_error("throws_30 always fails after writing its row");
        },
    .down = [](link_migration::Context& ctx) { ledger::remove(ctx, 30); },
});
