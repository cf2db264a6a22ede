#include "common/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace lm::stores {

namespace {

Status IoError(const std::string& what, const std::string& path) {
  return Status::Error(what + " " + path + ": " + std::strerror(errno));
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("cannot write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

// Makes the rename itself durable: without it a crash can bring back the
// old directory entry even though the new file's data reached the disk.
Status SyncDirectory(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open folder", dir);
  int rc = fsync(fd);
  int saved = errno;
  close(fd);
  errno = saved;
  // Some file systems cannot fsync a directory; the rename is still atomic.
  if (rc != 0 && errno != EINVAL && errno != ENOTSUP) return IoError("cannot fsync folder", dir);
  return Status::Ok();
}

// "<dir>/.<name>.<pid>.<n>.tmp": hidden, in the same folder (rename is only
// atomic within one file system), unique per process and call.
std::string TempPathFor(const std::filesystem::path& target) {
  static std::atomic<unsigned> counter{0};
  return (target.parent_path() / ("." + target.filename().string() + "." + std::to_string(getpid()) + "." +
                                  std::to_string(counter++) + ".tmp"))
      .string();
}

// Moves the finished temp file into place.
Status Publish(const std::string& temp, const std::string& path, WriteMode mode, bool* created) {
  if (mode == WriteMode::kReplace) {
    if (rename(temp.c_str(), path.c_str()) != 0) return IoError("cannot rename " + temp + " to", path);
    *created = true;
    return Status::Ok();
  }
  // link() fails if `path` exists, so two processes creating the same store
  // cannot overwrite one another.
  if (link(temp.c_str(), path.c_str()) == 0) {
    *created = true;
  } else if (errno == EEXIST) {
    *created = false;
  } else if (errno == EPERM || errno == ENOTSUP || errno == ENOSYS) {
    // A file system without hard links (FAT, some FUSE mounts): fall back to
    // check-then-rename, which only a simultaneous creator can race.
    struct stat existing;
    if (stat(path.c_str(), &existing) == 0) {
      *created = false;
    } else {
      if (rename(temp.c_str(), path.c_str()) != 0) return IoError("cannot rename " + temp + " to", path);
      *created = true;
      return Status::Ok();
    }
  } else {
    return IoError("cannot create", path);
  }
  unlink(temp.c_str());
  return Status::Ok();
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
  bool ignored = false;
  if (created == nullptr) created = &ignored;
  *created = false;

  const std::filesystem::path target(path);
  const std::string temp = TempPathFor(target);
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) return IoError("cannot create temporary file", temp);

  Status status = WriteAll(fd, contents, temp);
  if (struct stat existing; status.ok() && stat(path.c_str(), &existing) == 0) {
    if (fchmod(fd, existing.st_mode & 07777) != 0) status = IoError("cannot chmod", temp);
  }
  if (status.ok() && fsync(fd) != 0) status = IoError("cannot fsync", temp);
  if (close(fd) != 0 && status.ok()) status = IoError("cannot close", temp);
  if (status.ok()) status = Publish(temp, path, mode, created);
  if (!status.ok()) {
    unlink(temp.c_str());
    return status;
  }
  std::string dir = target.parent_path().string();
  return SyncDirectory(dir.empty() ? "." : dir);
}

}  // namespace lm::stores
