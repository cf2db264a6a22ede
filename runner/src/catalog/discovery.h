// Finds the candidate plugin files in migration folders.
#ifndef LINK_MIGRATION_RUNNER_DISCOVERY_H
#define LINK_MIGRATION_RUNNER_DISCOVERY_H

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace lm {

// The platform's plugin suffix, ".so" on Linux.
const std::string& PluginSuffix();

// True for names a copy in progress or an editor leaves behind, and hidden
// files: ".*", "*~", "*.tmp", "*.part". Such files are never loaded.
bool IsIgnoredName(std::string_view file_name);

struct MigrationSource {
  std::string path;  // text, not a path: a folder may hold thousands
  bool is_bundle = false;  // a bundle file, else a plugin file
};

// What each location holds: a folder gives every entry directly inside it
// named with the plugin suffix and not ignored (see IsIgnoredName), sorted
// by path, whatever it is (the catalog refuses what is no plugin file, see
// LinkProblem); a file is a bundle. Locations keep their order. A missing location is an error
// (kind kConfig) naming it.
Status DiscoverMigrationSources(const std::vector<std::filesystem::path>& locations,
                                std::vector<MigrationSource>* sources);

// Why the symbolic link `link` cannot be a plugin file, naming where it
// leads ("a symbolic link to /dev/zero, which is a character device, not a
// plugin file"): dangling, a loop, or leading to anything but a regular
// file. Empty when it leads to a regular file.
std::string LinkProblem(const std::string& link);

// The folders' own sizes as the file system reports them (a file location
// counts 0): a cheap, rough measure of how many entries they hold, from one
// stat each, before listing them.
uint64_t ListingBytes(const std::vector<std::filesystem::path>& locations);

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_DISCOVERY_H
