// Version 1 holds the run (and so the store's lock) until the test lets it
// go: it opens params.fifo for reading, which blocks until the test opens the
// write end, then reads until the test writes a byte or closes it. Version 2
// is an ordinary ledger migration.
#include <stdexcept>
#include <string>

#include "safety_ledger.hpp"

using link_migration::Context;

namespace {

void WaitForRelease(Context& ctx) {
  const std::string fifo = ctx.param_string("fifo");
  if (fifo.empty()) throw std::runtime_error("params.fifo is missing");
  safety::WaitOnFifo(fifo);
  safety::Append(ctx, 1);
}

}  // namespace

LINK_MIGRATION({
    .version = 1,
    .name = "hold_the_lock",
    .description = "Waits until the test writes to params.fifo.",
    .up = WaitForRelease,
});

LINK_MIGRATION({
    .version = 2,
    .name = "after_the_hold",
    .up = [](Context& ctx) { safety::Append(ctx, 2); },
});
