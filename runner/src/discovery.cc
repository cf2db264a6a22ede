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

Status DiscoverMigrationSources(const std::vector<fs::path>& locations, std::vector<MigrationSource>* sources) {
  for (const fs::path& folder : locations) {
    std::error_code error;
    if (fs::is_regular_file(folder, error)) {
      sources->push_back({folder, /*is_bundle=*/true});
      continue;
    }
    if (!fs::is_directory(folder, error)) {
      return Status::Error(ErrorKind::kConfig,
                           "migrations location " + folder.string() + " does not exist (give a folder or a bundle)");
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
    for (fs::path& file : found) sources->push_back({std::move(file), /*is_bundle=*/false});
  }
  return Status::Ok();
}

}  // namespace lm
