// One ledger migration, version DRIFT_VERSION, for the drift tests
// (drift_changed.cpp builds version 20 again from a different source).
#include "safety_ledger.hpp"

#ifndef DRIFT_VERSION
#error "build with -DDRIFT_VERSION=<n>"
#endif

namespace {
constexpr std::array<char, 32> kName = safety::NumberedName<DRIFT_VERSION>("drift_");
}

LINK_MIGRATION({
    .version = DRIFT_VERSION,
    .name = kName.data(),
    .up = [](link_migration::Context& ctx) { safety::Append(ctx, DRIFT_VERSION); },
});
