#include "catalog/discovery.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <boost/dll/shared_library.hpp>
#include <cerrno>
#include <cstring>

namespace lm {

namespace fs = std::filesystem;

const std::string& PluginSuffix() {
  static const std::string suffix = boost::dll::shared_library::suffix().string();
  return suffix;
}

bool IsIgnoredName(std::string_view name) {
  return name.empty() || name.front() == '.' || name.ends_with("~") || name.ends_with(".tmp") ||
         name.ends_with(".part");
}

namespace {

// Every entry directly in `folder` named like a plugin file, unsorted,
// whatever it is: a link, a folder or a device so named is a problem the
// catalog reports, never skipped without a word.
Status ListPluginFiles(const fs::path& folder, std::vector<std::string>* found) {
  auto failed = [&folder](int error) {
    return Status::Error(ErrorKind::kConfig,
                         "cannot list migrations folder " + folder.string() + ": " + std::strerror(error));
  };
  DIR* listing = opendir(folder.c_str());
  if (listing == nullptr) return failed(errno);
  const std::string prefix = folder.native().ends_with('/') ? folder.native() : folder.native() + '/';
  errno = 0;
  while (const dirent* entry = readdir(listing)) {
    const std::string_view name = entry->d_name;
    if (!IsIgnoredName(name) && name.ends_with(PluginSuffix())) {
      std::string path = prefix;
      path += name;
      found->push_back(std::move(path));
    }
    errno = 0;
  }
  const int error = errno;
  closedir(listing);
  return error == 0 ? Status::Ok() : failed(error);
}

const char* KindOfFile(mode_t mode) {
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "an unknown kind of file";
}

}  // namespace

std::string LinkProblem(const std::string& link) {
  std::error_code unreadable;
  const fs::path target = fs::read_symlink(link, unreadable);
  const std::string to = "a symbolic link to " + (unreadable ? std::string("an unreadable target") : target.string());
  struct stat info {};
  if (stat(link.c_str(), &info) != 0) {
    const int error = errno;
    if (error == ENOENT || error == ENOTDIR) return to + ", which does not exist";
    if (error == ELOOP) return to + ", a loop of links that leads to no file";
    return to + ", which cannot be followed: " + std::strerror(error);
  }
  if (S_ISREG(info.st_mode)) return "";
  return to + ", which is " + KindOfFile(info.st_mode) + ", not a plugin file";
}

Status DiscoverMigrationSources(const std::vector<fs::path>& locations, std::vector<MigrationSource>* sources) {
  for (const fs::path& folder : locations) {
    std::error_code error;
    if (fs::is_regular_file(folder, error)) {
      sources->push_back({folder.native(), /*is_bundle=*/true});
      continue;
    }
    if (!fs::is_directory(folder, error)) {
      return Status::Error(ErrorKind::kConfig,
                           "migrations location " + folder.string() + " does not exist (give a folder or a bundle)");
    }
    std::vector<std::string> found;
    LM_RETURN_IF_ERROR(ListPluginFiles(folder, &found));
    // One folder's files differ only in their names: comparing whole strings
    // gives the same order as comparing paths.
    std::sort(found.begin(), found.end());
    sources->reserve(sources->size() + found.size());
    for (std::string& file : found) sources->push_back({std::move(file), /*is_bundle=*/false});
  }
  return Status::Ok();
}

uint64_t ListingBytes(const std::vector<fs::path>& locations) {
  uint64_t bytes = 0;
  for (const fs::path& location : locations) {
    struct stat info {};
    if (stat(location.c_str(), &info) == 0 && S_ISDIR(info.st_mode)) bytes += static_cast<uint64_t>(info.st_size);
  }
  return bytes;
}

}  // namespace lm
