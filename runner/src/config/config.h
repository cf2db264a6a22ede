// The JSON config file (docs/config.md): where the migrations are, which
// store keeps the applied versions, and the params handed to migrations.
#ifndef LINK_MIGRATION_RUNNER_CONFIG_H
#define LINK_MIGRATION_RUNNER_CONFIG_H

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "catalog/bundle.h"
#include "config/env_expand.h"
#include "base/status.h"
#include "catalog/trust.h"

namespace lm {

struct StoreConfig {
  std::string plugin;               // a name looked up in plugin folders, or a path
  std::string options_json = "{}";  // handed to the store as is
};

struct Config {
  std::filesystem::path file;  // absolute
  std::filesystem::path dir;   // relative paths in the config resolve against it
  std::vector<std::filesystem::path> migration_dirs;  // folders and bundle files
  std::vector<std::string> migration_dir_paths;       // the JSONPath of each: "$.migrations[1]"
  std::vector<std::filesystem::path> plugin_path;
  StoreConfig store;
  std::string params_json = "{}";
  std::filesystem::path changelog_dir;
  std::optional<int64_t> lock_timeout_ms;
  std::optional<int64_t> step_timeout_ms;
  bool group_transaction = false;  // "transaction": "group"
  // What the config says that no longer changes anything, one line each
  // ("load_plugins": every plugin loads before the first step now).
  std::vector<std::string> notes;
  TrustPolicy trust;
  BundlePolicy bundles;
};

// Reads the config, expands ${NAME} in its string values from `env`,
// validates it against docs/conf.schema.json (embedded at build time) and
// resolves its paths. Errors (kind kConfig) are one line naming the file and
// the JSON path at fault: "<file>: $.store: missing required key 'plugin'".
Status LoadConfig(const std::filesystem::path& file, const EnvLookup& env, Config* config);
// The same, with the process's environment.
Status LoadConfig(const std::filesystem::path& file, Config* config);

// Whether every migrations location the config names is there, checked
// before the folders are read: a missing one is the config's error (kind
// kConfig), "<file>: $.migrations[1]: /srv/hotfixes does not exist (...)".
// Not part of LoadConfig, since commands that read only the store, and -m,
// do not use these locations.
Status CheckMigrationLocations(const Config& config);

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_CONFIG_H
