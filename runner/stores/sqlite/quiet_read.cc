#include "sqlite/quiet_read.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

namespace lm::stores {
namespace {

// SQLite's lock bytes on the database file (os_unix.c): a connection holds
// a read lock on the shared range while it has a WAL database open, and
// takes it before it reads or writes any.
constexpr off_t kPendingByte = 0x40000000;
constexpr off_t kSharedFirst = kPendingByte + 2;
constexpr off_t kSharedSize = 510;

// Bytes 18 and 19 of the header, the file format's write and read versions,
// are 2 in WAL mode.
bool InWalMode(int fd) {
  unsigned char versions[2] = {0, 0};
  return pread(fd, versions, sizeof(versions), 18) == static_cast<ssize_t>(sizeof(versions)) && versions[0] == 2 &&
         versions[1] == 2;
}

bool HasWalContent(const std::string& path) {
  struct stat wal {};
  return lstat((path + "-wal").c_str(), &wal) == 0 && wal.st_size > 0;
}

}  // namespace

QuietRead::~QuietRead() {
  if (lock_fd_ >= 0) close(lock_fd_);
}

void QuietRead::Prepare(const std::string& path) {
  // A write lock needs a descriptor open for writing; nothing is written.
  const int fd = open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return;
  struct flock exclusive {};
  exclusive.l_type = F_WRLCK;
  exclusive.l_whence = SEEK_SET;
  exclusive.l_start = kSharedFirst;
  exclusive.l_len = kSharedSize;
  // Read under the lock, so no connection changes them meanwhile: the mode,
  // and whether a WAL holds commits not yet copied into the database (one
  // left by a connection that ended without closing), which only an
  // ordinary open reads.
  if (fcntl(fd, F_OFD_SETLK, &exclusive) == 0 && InWalMode(fd) && !HasWalContent(path)) {
    lock_fd_ = fd;
    return;
  }
  close(fd);
}

std::string QuietRead::ImmutableUri(const std::string& path) {
  std::string uri = "file:";
  for (const char c : path) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
                       c == '.' || c == '-' || c == '_' || c == '~';
    if (plain) {
      uri += c;
    } else {
      char escaped[4];
      std::snprintf(escaped, sizeof(escaped), "%%%02X", static_cast<unsigned>(static_cast<unsigned char>(c)));
      uri += escaped;
    }
  }
  return uri + "?immutable=1";
}

}  // namespace lm::stores
