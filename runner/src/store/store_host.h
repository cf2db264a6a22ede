// Finds, loads and opens the version-store plugin the config names.
#ifndef LINK_MIGRATION_RUNNER_STORE_HOST_H
#define LINK_MIGRATION_RUNNER_STORE_HOST_H

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "base/status.h"
#include "store/version_store.h"

namespace lm {

struct StoreOpenRequest {
  const Config* config = nullptr;
  // The runner's own store folder (next to its executable), searched last.
  std::filesystem::path builtin_store_dir;
  bool read_only = false;
  std::string user;
  std::string host;
  int64_t pid = 0;
  std::string run_id;
  std::string started_at;
  // Versions the runner knows: the minimal contract's "applied" means every
  // known version up to the current one.
  std::vector<int64_t> known_versions;
};

// Where a store name resolves: a path (relative to the config folder) when
// it contains a '/' or ends in the plugin suffix; otherwise <name><suffix>
// in each plugin_path folder, then in the runner's own store folder. Errors
// (kind kConfig) list the folders searched.
Status ResolveStorePlugin(const StoreOpenRequest& request, std::filesystem::path* plugin);

// Finds the store plugin the config names, loads it (it stays loaded until
// the process exits) and opens its store (full or minimal contract).
// Warnings meant for the user (the minimal contract's limits) are appended.
Status OpenVersionStore(const StoreOpenRequest& request, std::unique_ptr<VersionStore>* store,
                        std::vector<std::string>* warnings);

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_STORE_HOST_H
