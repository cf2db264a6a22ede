#include <malloc.h>

#include "cli/cli.h"

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
  return lm::RunCli(argc, argv);
}
