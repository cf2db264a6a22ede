// One ledger migration, version ORDINARY_VERSION, alone in its file.
#include "safety_ledger.hpp"

#ifndef ORDINARY_VERSION
#error "build with -DORDINARY_VERSION=<n>"
#endif

namespace {
constexpr std::array<char, 32> kName = safety::NumberedName<ORDINARY_VERSION>("ordinary_");
}

LINK_MIGRATION({
    .version = ORDINARY_VERSION,
    .name = kName.data(),
    .up = [](link_migration::Context& ctx) { safety::Append(ctx, ORDINARY_VERSION); },
});
