#include "held_step.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace lm::safety {

HeldStep::HeldStep(Workspace& ws) : ws_(ws) {
  const std::filesystem::path pid_fifo = ws.dir() / "step-pid.fifo";
  const std::filesystem::path release_fifo = ws.dir() / "release.fifo";
  if (mkfifo(pid_fifo.c_str(), 0600) != 0 || mkfifo(release_fifo.c_str(), 0600) != 0)
    throw std::runtime_error(std::string("mkfifo: ") + std::strerror(errno));
  // Read end, not blocking: the step's open for writing then succeeds at once.
  pid_read_fd_ = open(pid_fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  // Both ends (Linux allows O_RDWR on a fifo): the step's open for reading
  // does not block, and its read waits for our byte.
  release_fd_ = open(release_fifo.c_str(), O_RDWR | O_CLOEXEC);
  if (pid_read_fd_ < 0 || release_fd_ < 0) throw std::runtime_error(std::string("open fifo: ") + std::strerror(errno));
  ws.SetParam("pid_file", pid_fifo.string());
  ws.SetParam("fifo", release_fifo.string());
}

HeldStep::~HeldStep() {
  if (pid_read_fd_ >= 0) close(pid_read_fd_);
  if (release_fd_ >= 0) close(release_fd_);
}

pid_t HeldStep::WaitForStep(milliseconds within) {
  const auto deadline = Clock::now() + within;
  for (;;) {
    const size_t newline = pid_text_.find('\n');
    if (newline != std::string::npos) {
      const pid_t pid = static_cast<pid_t>(std::stol(pid_text_.substr(0, newline)));
      pid_text_.erase(0, newline + 1);
      return pid;
    }
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return -1;
    pollfd ready{pid_read_fd_, POLLIN, 0};
    const int polled = poll(&ready, 1, static_cast<int>(left.count()));
    if (polled < 0 && errno == EINTR) continue;
    if (polled <= 0) return -1;
    char buffer[64];
    const ssize_t got = read(pid_read_fd_, buffer, sizeof(buffer));
    if (got > 0) {
      pid_text_.append(buffer, static_cast<size_t>(got));
    } else if (got == 0) {
      return -1;  // the writer came and went without a whole line
    }
  }
}

void HeldStep::Release() {
  const char byte = 'x';
  if (write(release_fd_, &byte, 1) != 1) throw std::runtime_error(std::string("release: ") + std::strerror(errno));
}

void HeldStep::Disarm() {
  ws_.SetParam("fifo", "");
  ws_.SetParam("pid_file", "");
}

}  // namespace lm::safety
