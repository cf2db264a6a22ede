#include "output_capture.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>

namespace lm {
namespace {

void FlushStdio() {
  std::cout.flush();
  std::cerr.flush();
  std::fflush(stdout);
  std::fflush(stderr);
}

}  // namespace

Status OutputCapture::Start() {
  int ends[2];
  if (pipe(ends) != 0) return Status::Error(ErrorKind::kMigrationFailed, std::string("pipe: ") + strerror(errno));
  FlushStdio();
  saved_stdout_ = dup(STDOUT_FILENO);
  saved_stderr_ = dup(STDERR_FILENO);
  dup2(ends[1], STDOUT_FILENO);
  dup2(ends[1], STDERR_FILENO);
  close(ends[1]);
  running_ = true;
  reader_ = std::thread(&OutputCapture::Pump, this, ends[0]);
  return Status::Ok();
}

void OutputCapture::Stop() {
  if (!running_) return;
  running_ = false;
  FlushStdio();
  dup2(saved_stdout_, STDOUT_FILENO);
  dup2(saved_stderr_, STDERR_FILENO);
  close(saved_stdout_);
  close(saved_stderr_);
  reader_.join();
}

// Reads until every write end is closed. A background process the step
// started may keep a copy open: once Stop has restored the descriptors, the
// pump gives up after a quiet moment instead of waiting for it forever.
void OutputCapture::Pump(int read_end) {
  std::string pending;
  char buffer[4096];
  for (;;) {
    pollfd ready{read_end, POLLIN, 0};
    int events = poll(&ready, 1, running_ ? 100 : 50);
    if (events < 0 && errno == EINTR) continue;
    if (events == 0) {
      if (!running_) break;
      continue;
    }
    ssize_t got = read(read_end, buffer, sizeof(buffer));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    pending.append(buffer, static_cast<size_t>(got));
    for (size_t end; (end = pending.find('\n')) != std::string::npos; pending.erase(0, end + 1))
      on_line_(pending.substr(0, end));
  }
  if (!pending.empty()) on_line_(pending);
  close(read_end);
}

}  // namespace lm
