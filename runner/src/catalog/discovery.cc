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

// The plugin files directly in `folder`, unsorted. readdir's entry type
// spares a stat per file on the file systems that fill it in.
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
    if (IsIgnoredName(name) || !name.ends_with(PluginSuffix())) continue;
    std::string path = prefix;
    path += name;
    bool regular = entry->d_type == DT_REG;
    if (entry->d_type == DT_UNKNOWN || entry->d_type == DT_LNK) {
      std::error_code type_error;
      regular = fs::is_regular_file(fs::path(path), type_error);  // follows a link, as loading will
    }
    if (regular) found->push_back(std::move(path));
    errno = 0;
  }
  const int error = errno;
  closedir(listing);
  return error == 0 ? Status::Ok() : failed(error);
}

}  // namespace

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
