#include "base/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <utility>

#include "base/path_text.h"

namespace lm {
namespace {

std::string Failed(const std::string& what, const std::string& path, int error) {
  return what + " " + path + ": " + std::strerror(error);
}

// "<pid>.<n>", n counting this process's new files from 0: unique among
// the process's own writes, and known ahead, so that a test can take the
// name of one exact write to make it fail (docs/stores.md). A name taken
// already fails the create: O_EXCL never opens, and O_NOFOLLOW never
// follows, what someone put there.
std::string NextTemporaryTag() {
  static uint64_t written = 0;
  return std::to_string(getpid()) + "." + std::to_string(written++);
}

// Makes a rename durable: without it a crash can bring back the old entry
// even though the new file's bytes reached the disk.
std::string SyncFolder(const std::string& folder) {
  const int fd = open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Failed("cannot open folder", folder, errno);
  const int synced = fsync(fd);
  const int error = errno;
  close(fd);
  // Some file systems cannot fsync a folder; the rename is atomic still.
  if (synced != 0 && error != EINVAL && error != ENOTSUP) return Failed("cannot sync folder", folder, error);
  return "";
}

}  // namespace

NewFile::~NewFile() { Discard(); }

NewFile::NewFile(NewFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      temporary_(std::exchange(other.temporary_, std::string())) {}

NewFile& NewFile::operator=(NewFile&& other) noexcept {
  if (this != &other) {
    Discard();
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
    temporary_ = std::exchange(other.temporary_, std::string());
  }
  return *this;
}

void NewFile::Discard() {
  if (fd_ >= 0) close(std::exchange(fd_, -1));
  if (!temporary_.empty()) unlink(std::exchange(temporary_, std::string()).c_str());
}

std::string NewFile::Create(const std::string& path, mode_t mode) {
  Discard();
  path_ = path;
  const std::string folder(FolderOf(path));
  const std::string name(NameOf(path));
  std::string prefix = folder == "/" ? "/" : folder + "/";
  prefix += '.';
  prefix += name;
  prefix += '.';
  std::string candidate = prefix + NextTemporaryTag() + ".tmp";
  fd_ = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd_ < 0) return Failed("cannot create a new file in", folder + " for " + name + " (" + candidate + ")", errno);
  temporary_ = std::move(candidate);
  return "";
}

std::string NewFile::Write(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t wrote = write(fd_, bytes.data(), bytes.size());
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) {
      std::string problem = Failed("cannot write", temporary_, wrote < 0 ? errno : ENOSPC);
      Discard();
      return problem;
    }
    bytes.remove_prefix(static_cast<size_t>(wrote));
  }
  return "";
}

std::string NewFile::Publish(lm::Publish how, bool* created) {
  bool ignored = false;
  if (created == nullptr) created = &ignored;
  *created = false;
  if (fd_ < 0) return "cannot publish " + path_ + ": it was not written";
  std::string problem;
  // A replaced file's permission bits (never those of where a link leads).
  if (struct stat old {}; how == Publish::kReplace && lstat(path_.c_str(), &old) == 0 && S_ISREG(old.st_mode) &&
                          fchmod(fd_, old.st_mode & 0777) != 0)
    problem = Failed("cannot set the mode of", temporary_, errno);
  if (problem.empty() && fsync(fd_) != 0) problem = Failed("cannot sync", temporary_, errno);
  if (close(std::exchange(fd_, -1)) != 0 && problem.empty()) problem = Failed("cannot close", temporary_, errno);
  if (problem.empty()) {
    if (how == Publish::kReplace) {
      // rename() replaces a link at the name itself; it never follows it.
      if (rename(temporary_.c_str(), path_.c_str()) == 0) {
        temporary_.clear();
        *created = true;
      } else {
        problem = Failed("cannot rename " + temporary_ + " to", path_, errno);
      }
    } else if (link(temporary_.c_str(), path_.c_str()) == 0) {
      *created = true;
    } else if (errno == EPERM || errno == ENOTSUP || errno == ENOSYS) {
      // A file system without hard links (FAT, some FUSE mounts): check,
      // then rename, which only a writer creating the same name at the same
      // moment can race.
      struct stat existing {};
      if (lstat(path_.c_str(), &existing) != 0) {
        if (rename(temporary_.c_str(), path_.c_str()) == 0) {
          temporary_.clear();
          *created = true;
        } else {
          problem = Failed("cannot rename " + temporary_ + " to", path_, errno);
        }
      }
    } else if (errno != EEXIST) {
      problem = Failed("cannot create", path_, errno);
    }
  }
  Discard();  // the temporary name, when still there (kCreateOnly, or a failure)
  if (!problem.empty() || !*created) return problem;
  return SyncFolder(std::string(FolderOf(path_)));
}

std::string WriteFileAtomically(const std::string& path, std::string_view bytes, mode_t mode, Publish how,
                                bool* created) {
  NewFile file;
  std::string problem = file.Create(path, mode);
  if (problem.empty()) problem = file.Write(bytes);
  if (problem.empty()) problem = file.Publish(how, created);
  return problem;
}

}  // namespace lm
