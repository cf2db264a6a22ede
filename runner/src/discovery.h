// Finds the candidate plugin files in migration folders.
#ifndef LINK_MIGRATION_RUNNER_DISCOVERY_H
#define LINK_MIGRATION_RUNNER_DISCOVERY_H

#include <filesystem>
#include <string>
#include <vector>

#include "status.h"

namespace lm {

// The platform's plugin suffix, ".so" on Linux.
const std::string& PluginSuffix();

// True for names a copy in progress or an editor leaves behind, and hidden
// files: ".*", "*~", "*.tmp", "*.part". Such files are never loaded.
bool IsIgnoredName(const std::string& file_name);

// Every regular file (or link to one) with the plugin suffix directly inside
// each folder, sorted by path within a folder, folders in the given order.
// A missing folder is an error (kind kConfig) naming it.
Status DiscoverPluginFiles(const std::vector<std::filesystem::path>& folders,
                           std::vector<std::filesystem::path>* files);

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_DISCOVERY_H
