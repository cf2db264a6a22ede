// Version 3, whose static initialiser ends the load, per LOAD_FAIL_KIND:
// throw (an exception leaves the initialiser) or segv (SIGSEGV, as a global
// constructor following a bad pointer would). Its lm_meta section reads like
// any other, so only loading it finds this.
#include <cstdint>
#include <stdexcept>

#include "safety_ledger.hpp"

#define LOAD_FAIL_THROW 1
#define LOAD_FAIL_SEGV 2
#ifndef LOAD_FAIL_KIND
#error "build with -DLOAD_FAIL_KIND=LOAD_FAIL_THROW|LOAD_FAIL_SEGV"
#endif

namespace {

struct FailOnLoad {
  FailOnLoad() {
#if LOAD_FAIL_KIND == LOAD_FAIL_THROW
    throw std::runtime_error("load_fail: thrown by a static initialiser");
#else
    // Through a volatile address, so the compiler cannot turn it into a trap.
    volatile std::uintptr_t address = 0;
    *reinterpret_cast<volatile int*>(address) = 1;
#endif
  }
};
const FailOnLoad fail_on_load;

}  // namespace

LINK_MIGRATION({
    .version = 3,
    .name = "load_fail_3",
    .up = [](link_migration::Context& ctx) { safety::Append(ctx, 3); },
});
