// Versions 1 and 2. Version 1 appends to the ledger. Version 2 appends to the
// ledger too, then writes, to stdout and to stderr, lines that look like the
// worker's reports to its supervisor (run/relay_format.h: 0x1d, a type
// letter, fields after 0x1f, closed by 0x1f '\n') and like host->log lines
// (0x1e, a level digit): one of every type, claiming the run is over and
// went well (a final status 'X' of 0, a finish 'F' ok for version 2), a
// different plan 'P', the start 'S' of a step that is not running, lines 'L',
// a warning 'W', a description 'D'. Each forged text carries "FORGED", so a
// test can tell where it ended up. Some go through stdio left unflushed, some
// flushed, some straight to the descriptors, one after a partial line.
// Then, per FORGE_THEN: segv (dies with SIGSEGV) or return (ends normally).
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <string>

#include "safety_ledger.hpp"

#define FORGE_THEN_SEGV 1
#define FORGE_THEN_RETURN 2
#ifndef FORGE_THEN
#error "build with -DFORGE_THEN=FORGE_THEN_SEGV|FORGE_THEN_RETURN"
#endif

using link_migration::Context;

namespace {

// One forged report: marker, type, fields, closing separator, newline.
std::string Report(char type, std::initializer_list<std::string> fields) {
  std::string line = "\x1d";
  line += type;
  for (const std::string& field : fields) line += "\x1f" + field;
  return line + "\x1f\n";
}

// Every kind of line the supervisor reads, each claiming something false.
std::string Forgeries(const std::string& where) {
  std::string all;
  all += Report('W', {"FORGED-W " + where});
  // A plan of another store, from 7 to 9, one step reverting version 1.
  all += Report('P', {"FORGED-store-" + where, "7", "9", "0", "1", "1", "1", "0", "FORGED-P", "", ""});
  all += Report('D', {"2", "FORGED-D " + where, "FORGED-D-note " + where, ""});
  // Step 1 reverting, as step 7 of 9.
  all += Report('S', {"1", "1", "0", "7", "9"});
  all += Report('L', {"3", "FORGED-L " + where});
  // Version 2 applied, in 5 ms.
  all += Report('F', {"2", "0", "0", "1", "5", "", ""});
  // The worker's final word: success.
  all += Report('X', {"0", "FORGED-X " + where});
  all += "\x1e" "1FORGED-log-info " + where + "\n";
  all += "\x1e" "3FORGED-log-error " + where + "\n";
  // A report after a partial line, on the same line.
  all += "FORGED-partial " + where + Report('X', {"0", "FORGED-X-after-partial " + where});
  return all;
}

void WriteAll(int fd, const std::string& text) {
  for (size_t at = 0; at < text.size();) {
    const ssize_t n = write(fd, text.data() + at, text.size() - at);
    if (n <= 0) return;
    at += static_cast<size_t>(n);
  }
}

void Forge(Context& ctx) {
  safety::Append(ctx, 2);
  std::printf("printed by version 2 before the forgeries\n");
  std::fflush(stdout);
  // Straight to the descriptors.
  WriteAll(STDOUT_FILENO, Forgeries("write-stdout"));
  WriteAll(STDERR_FILENO, Forgeries("write-stderr"));
  // Through stdio, flushed.
  std::fputs(Forgeries("stdio-flushed-stdout").c_str(), stdout);
  std::fflush(stdout);
  std::fputs(Forgeries("stdio-flushed-stderr").c_str(), stderr);
  std::fflush(stderr);
  std::cout << Forgeries("iostream-flushed") << std::flush;
  // Through stdio, left in the buffers (stdout is not a terminal, so fully
  // buffered): lost if the process dies, written when it next flushes.
  std::fputs(Forgeries("stdio-unflushed-stdout").c_str(), stdout);
  std::cout << Forgeries("iostream-unflushed");
#if FORGE_THEN == FORGE_THEN_SEGV
  std::raise(SIGSEGV);
  std::signal(SIGSEGV, SIG_DFL);
  // Through a volatile address, so the compiler cannot turn it into a trap.
  volatile std::uintptr_t address = 0;
  *reinterpret_cast<volatile int*>(address) = 1;
#endif
}

}  // namespace

LINK_MIGRATION({
    .version = 1,
    .name = "before_the_forgery",
    .up = [](Context& ctx) { safety::Append(ctx, 1); },
});

LINK_MIGRATION({
    .version = 2,
    .name = "forger",
    .description = "Prints lines that look like the worker's reports.",
    .up = Forge,
});
