// Version 39: its static initialiser kills the process that loads it with
// SIGSEGV, as a global constructor following a bad pointer would. Its
// lm_meta section reads like any other, so only loading it finds this.
#include <cstdint>

#include "ledger.hpp"

namespace {

struct CrashOnLoad {
  CrashOnLoad() {
    // Through a volatile address, so the compiler cannot turn it into a trap.
    volatile std::uintptr_t address = 0;
    *reinterpret_cast<volatile int*>(address) = 1;
  }
};
const CrashOnLoad crash_on_load;

}  // namespace

LINK_MIGRATION({
    .version = 39,
    .name = "load_crash_39",
    .up = [](link_migration::Context& ctx) { ledger::add(ctx, 39); },
});
