#include "common/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/atomic_file.h"

namespace lm::stores {

namespace {

Status IoError(const std::string& what, const std::string& path) {
  return Status::Error(what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

Status ReadWholeFile(const std::string& path, std::string* contents, bool* exists) {
  contents->clear();
  *exists = false;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::Ok();
    return IoError("cannot open", path);
  }
  *exists = true;
  char buffer[64 * 1024];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      Status status = IoError("cannot read", path);
      close(fd);
      return status;
    }
    contents->append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return Status::Ok();
}

Status WriteFileAtomically(const std::string& path, std::string_view contents, WriteMode mode, bool* created) {
  const std::string problem = lm::WriteFileAtomically(
      path, contents, 0666, mode == WriteMode::kReplace ? lm::Publish::kReplace : lm::Publish::kCreateOnly, created);
  return problem.empty() ? Status::Ok() : Status::Error(problem);
}

}  // namespace lm::stores
