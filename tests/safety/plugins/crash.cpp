// Versions 1 and 2: version 1 appends to the ledger; version 2 does its own
// work (a probe table through the sqlite handle, or a line in the ledger
// file), prints and logs a line, and then ends the worker the way CRASH_KIND
// says: segv, abort, exit3 (exit(3)) or hang (sleeps far past any step timeout).
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "safety_ledger.hpp"

#define CRASH_SEGV 1
#define CRASH_ABORT 2
#define CRASH_EXIT3 3
#define CRASH_HANG 4
#ifndef CRASH_KIND
#error "build with -DCRASH_KIND=CRASH_SEGV|CRASH_ABORT|CRASH_EXIT3|CRASH_HANG"
#endif

using link_migration::Context;

namespace {

[[noreturn]] void Die() {
#if CRASH_KIND == CRASH_SEGV
  // Through a volatile address, so the compiler cannot turn it into a trap.
  volatile std::uintptr_t address = 0;
  *reinterpret_cast<volatile int*>(address) = 1;
  std::abort();  // not reached
#elif CRASH_KIND == CRASH_ABORT
  std::abort();
#elif CRASH_KIND == CRASH_EXIT3
  std::exit(3);
#else
  safety::SleepMs(120000);
  std::abort();
#endif
}

void DoWorkThenDie(Context& ctx) {
  if (sqlite3* db = ctx.native<sqlite3>("sqlite3")) {
    link_migration::sqlite::exec(db,
                                 "CREATE TABLE crash_probe (note TEXT);"
                                 "INSERT INTO crash_probe VALUES ('written by the step that dies')");
  } else {
    safety::Append(ctx, 2);
  }
  ctx.info("logged by version 2 before it dies");
  std::printf("printed by version 2 before it dies\n");
  std::fflush(stdout);
  Die();
}

}  // namespace

LINK_MIGRATION({
    .version = 1,
    .name = "before_the_crash",
    .up = [](Context& ctx) { safety::Append(ctx, 1); },
});

LINK_MIGRATION({
    .version = 2,
    .name = "crash",
    .description = "Does some work, prints, then ends its process.",
    .up = DoWorkThenDie,
});
