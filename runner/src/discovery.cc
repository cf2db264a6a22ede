#include "discovery.h"

#include <algorithm>
#include <boost/dll/shared_library.hpp>

namespace lm {

namespace fs = std::filesystem;

const std::string& PluginSuffix() {
  static const std::string suffix = boost::dll::shared_library::suffix().string();
  return suffix;
}

bool IsIgnoredName(const std::string& name) {
  auto ends_with = [&name](std::string_view tail) {
    return name.size() >= tail.size() && name.compare(name.size() - tail.size(), tail.size(), tail) == 0;
  };
  return name.empty() || name.front() == '.' || ends_with("~") || ends_with(".tmp") ||
         ends_with(".part");
}

Status DiscoverPluginFiles(const std::vector<fs::path>& folders, std::vector<fs::path>* files) {
  for (const fs::path& folder : folders) {
    std::error_code error;
    if (!fs::is_directory(folder, error)) {
      return Status::Error(ErrorKind::kConfig,
                           "migrations folder " + folder.string() + " does not exist or is not a folder");
    }
    std::vector<fs::path> found;
    for (fs::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
      const std::string name = it->path().filename().string();
      if (IsIgnoredName(name) || it->path().extension() != PluginSuffix()) continue;
      std::error_code type_error;
      if (!it->is_regular_file(type_error)) continue;
      found.push_back(it->path());
    }
    if (error) {
      return Status::Error(ErrorKind::kConfig,
                           "cannot list migrations folder " + folder.string() + ": " + error.message());
    }
    std::sort(found.begin(), found.end());
    files->insert(files->end(), found.begin(), found.end());
  }
  return Status::Ok();
}

}  // namespace lm
