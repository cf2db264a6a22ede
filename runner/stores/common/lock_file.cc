#include "common/lock_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>
#include <utility>

namespace lm::stores {

namespace {

// How often a waiting Lock retries. Short enough that a freed lock is taken
// quickly, long enough to cost nothing while a long migration runs.
constexpr std::chrono::milliseconds kPollInterval(25);

std::string Errno(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

// Closes fd unless it is the one we keep.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) close(fd_);
  }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

}  // namespace

// A destructor has no one to tell; the lock goes with the descriptor anyway.
LockFile::~LockFile() { (void)Unlock(); }

Status LockFile::Lock(const Owner& owner, int64_t timeout_ms) {
  if (held()) return Status::Ok();

  using Clock = std::chrono::steady_clock;
  using std::chrono::milliseconds;
  // Compare elapsed time with the timeout rather than computing a deadline:
  // now() + a huge timeout would overflow the clock.
  const auto start = Clock::now();
  for (;;) {
    // O_CLOEXEC: a child the runner starts must not inherit, and so keep
    // alive, the lock after the runner dies.
    int fd = open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return Status::Error(Errno("cannot open lock file", path_));
    FdCloser closer(fd);

    bool acquired = false;
    LM_STORES_RETURN_IF_ERROR(TryLock(fd, &acquired));
    if (acquired) {
      // Record who we are. Failing to do so only makes waiters' messages
      // vaguer, so it is not an error.
      std::string text = OwnerToLockFileText(owner);
      if (ftruncate(fd, 0) == 0) {
        [[maybe_unused]] ssize_t written = pwrite(fd, text.data(), text.size(), 0);
      }
      fd_ = closer.release();
      return Status::Ok();
    }

    const int64_t elapsed_ms = std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
    if (timeout_ms >= 0 && elapsed_ms >= timeout_ms) {
      return Status::LockTimeout("lock on " + path_ + " is held by " + ReadHolder(fd) + "; gave up after " +
                                 std::to_string(timeout_ms) + " ms");
    }
    milliseconds pause = kPollInterval;
    if (timeout_ms >= 0) pause = std::min(pause, milliseconds(timeout_ms - elapsed_ms));
    std::this_thread::sleep_for(pause);
  }
}

Status LockFile::TryLock(int fd, bool* acquired) {
  *acquired = false;
  while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) return Status::Ok();
    if (errno != EINTR) return Status::Error(Errno("cannot lock", path_));
  }
  // Someone may have deleted the lock file between our open and our flock
  // (a person "clearing" it by hand). Our lock would then be on a file nobody
  // else can see, so check that the path still names the file we locked.
  struct stat locked, current;
  if (fstat(fd, &locked) != 0) return Status::Error(Errno("cannot stat", path_));
  if (stat(path_.c_str(), &current) != 0) {
    if (errno == ENOENT) return Status::Ok();  // retried with a fresh file
    return Status::Error(Errno("cannot stat", path_));
  }
  *acquired = locked.st_dev == current.st_dev && locked.st_ino == current.st_ino;
  return Status::Ok();
}

std::string LockFile::ReadHolder(int fd) const {
  std::string text;
  char buffer[1024];
  off_t offset = 0;
  for (;;) {
    ssize_t n = pread(fd, buffer, sizeof(buffer), offset);
    if (n <= 0 || text.size() > size_t{64} * 1024) break;
    text.append(buffer, static_cast<size_t>(n));
    offset += n;
  }
  return DescribeLockHolder(text);
}

Status LockFile::Unlock() {
  if (!held()) return Status::Ok();
  // Clear our details first so nobody reads them as a holder's later; a
  // holder that dies leaves them behind, and the next holder overwrites them.
  [[maybe_unused]] int ignored = ftruncate(fd_, 0);
  // Closing the only descriptor of this open file releases the flock.
  int fd = std::exchange(fd_, -1);
  if (close(fd) != 0 && errno != EINTR) {
    return Status::Error(Errno("cannot release lock file", path_));
  }
  return Status::Ok();
}

}  // namespace lm::stores
