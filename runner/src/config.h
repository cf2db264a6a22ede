// The JSON config file (docs/config.md): where the migrations are, which
// store keeps the applied versions, and the params handed to migrations.
#ifndef LINK_MIGRATION_RUNNER_CONFIG_H
#define LINK_MIGRATION_RUNNER_CONFIG_H

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "bundle.h"
#include "status.h"
#include "trust.h"

namespace lm {

struct StoreConfig {
  std::string plugin;               // a name looked up in plugin folders, or a path
  std::string options_json = "{}";  // handed to the store as is
};

struct Config {
  std::filesystem::path file;  // absolute
  std::filesystem::path dir;   // relative paths in the config resolve against it
  std::vector<std::filesystem::path> migration_dirs;  // folders and bundle files
  std::vector<std::filesystem::path> plugin_path;
  StoreConfig store;
  std::string params_json = "{}";
  std::filesystem::path changelog_dir;
  std::optional<int64_t> lock_timeout_ms;
  std::optional<int64_t> step_timeout_ms;
  bool group_transaction = false;  // "transaction": "group"
  TrustPolicy trust;
  BundlePolicy bundles;
};

// Reads and validates the config; errors (kind kConfig) name the file and
// the key at fault.
Status LoadConfig(const std::filesystem::path& file, Config* config);

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_CONFIG_H
