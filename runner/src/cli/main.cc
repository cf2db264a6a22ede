#include <malloc.h>

#include <cstdio>
#include <exception>
#include <new>

#include "base/status.h"
#include "cli/cli.h"

namespace {

// The last line of defence: an exception nothing below handled (memory ran
// out, or a bug) becomes the one-line error every failure gets, and an exit
// code, rather than std::terminate's abort. Written without allocating: the
// exception may be std::bad_alloc. Line breaks in `what` are printed as
// spaces, so that the error stays one line.
int ReportUncaught(const char* what) {
  std::fputs("link-migration: error: internal error: ", stderr);
  for (const char* c = what; *c != '\0'; ++c) std::fputc(*c == '\n' || *c == '\r' ? ' ' : *c, stderr);
  std::fputs(" (the run stopped here; check 'status' before running again)\n", stderr);
  return static_cast<int>(lm::ErrorKind::kInternal);
}

}  // namespace

int main(int argc, char** argv) {
#ifdef M_TOP_PAD
  // glibc grows its heap 128 KiB at a time and hands memory back to the
  // kernel as soon as 128 KiB lie free at the top. Status and "nothing
  // pending" allocate and free a few MiB (SQLite's parsed schema holds a
  // table per migration), so the heap shrank and grew again, each time with
  // system calls and fresh pages to fault in: 11 brk and 667 page faults for
  // 1,000 plugin files, 4 and 636 with this. Reserving 16 MiB at a time
  // costs address space only; untouched pages take no memory.
  mallopt(M_TOP_PAD, 16 << 20);
#endif
  try {
    return lm::RunCli(argc, argv);
  } catch (const std::bad_alloc&) {
    return ReportUncaught("out of memory (std::bad_alloc)");
  } catch (const std::exception& failure) {
    return ReportUncaught(failure.what());
  } catch (...) {
    return ReportUncaught("an exception of unknown type");
  }
}
