// Versions 1 and 2. Version 1 appends to the ledger. Version 2 writes its
// process id to params.pid_file, then, when params.fifo is set, opens that
// fifo for reading (which blocks until the test opens the write end) and
// reads until the test writes a byte or closes it; then it appends to the
// ledger. With HOLD_NO_TRANSACTION, version 2 is flagged
// LM_MIGRATION_NO_TRANSACTION (the runner marks it running before it starts).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

#include "safety_ledger.hpp"

#ifdef HOLD_NO_TRANSACTION
#define HOLD_FLAGS LM_MIGRATION_NO_TRANSACTION
#else
#define HOLD_FLAGS 0
#endif

using link_migration::Context;

namespace {

void WritePid(const std::string& path) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot create " + path + ": " + std::strerror(errno));
  const std::string text = std::to_string(getpid()) + "\n";
  const bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  if (!written) throw std::runtime_error("cannot write " + path);
}

void HoldUntilReleased(Context& ctx) {
  const std::string pid_file = ctx.param_string("pid_file");
  if (!pid_file.empty()) WritePid(pid_file);
  const std::string fifo = ctx.param_string("fifo");
  // Printed, not logged: a silent report stream must not hide what a long
  // step prints (the step-start test reads it while the step is held).
  std::printf("held until released\n");
  std::fflush(stdout);
  if (!fifo.empty()) safety::WaitOnFifo(fifo);
  safety::Append(ctx, 2);
}

}  // namespace

LINK_MIGRATION({
    .version = 1,
    .name = "fast",
    .up = [](Context& ctx) { safety::Append(ctx, 1); },
});

LINK_MIGRATION({
    .version = 2,
    .name = "held",
    .description = "Writes its pid to params.pid_file, then waits until the test writes to params.fifo.",
    .up = HoldUntilReleased,
    .flags = HOLD_FLAGS,
});
