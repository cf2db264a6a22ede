// The migrations the runner found: loaded from plugin files, checked against
// the ABI, sorted by version, with no version provided twice.
#ifndef LINK_MIGRATION_RUNNER_CATALOG_H
#define LINK_MIGRATION_RUNNER_CATALOG_H

#include <link_migration/migration.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "catalog/bundle.h"
#include "catalog/discovery.h"
#include "catalog/meta_cache.h"
#include "base/status.h"
#include "catalog/trust.h"

namespace lm {

struct Migration {
  int64_t version = 0;
  std::string name;
  std::string checksum;
  uint32_t flags = 0;
  bool has_down = false;
  // The plugin file; for a bundle's plugin "<bundle>:plugins/<file>". Text,
  // not a path: every migration holds a copy, and copying a path copies
  // its list of components too (a tenth of a 10,000-migration status).
  std::string file;

  // Known once the plugin is loaded (see Catalog::Load).
  std::string description;
  std::string up_note;
  std::string down_note;
  const lm_migration* descriptor = nullptr;  // lives as long as the process

  bool loaded() const { return descriptor != nullptr; }
  bool reversible() const { return has_down; }
  bool transactional() const { return (flags & LM_MIGRATION_NO_TRANSACTION) == 0; }
};

// A plugin file to load, and the catalog's migrations it holds.
struct PluginFileLoad {
  std::string file;
  std::vector<Migration*> migrations;
};

class Catalog {
 public:
  // Ascending by version.
  const std::vector<Migration>& migrations() const { return migrations_; }
  const Migration* Find(int64_t version) const;
  int64_t LatestVersion() const { return migrations_.empty() ? 0 : migrations_.back().version; }

  // Loads the plugins holding `versions` that are known only from their
  // lm_meta section so far, and checks their descriptors agree with it.
  Status Load(const std::vector<int64_t>& versions);

  // The same in two parts, for a caller that loads while steps run: the
  // files to load, in the order `versions` first needs them, then one file.
  // LoadFile writes only what loading adds (description, notes, descriptor)
  // to the file's migrations, and only once it checked them all.
  std::vector<PluginFileLoad> FilesToLoad(const std::vector<int64_t>& versions);
  Status LoadFile(const PluginFileLoad& load);

  // A catalog of `migrations` (distinct versions), as LoadCatalog would have
  // read them, for code that only reads what a catalog names: the relay's
  // fuzz target has no plugin files to read.
  static Catalog Of(std::vector<Migration> migrations);

 private:
  friend Status LoadCatalog(const std::vector<MigrationSource>&, const TrustPolicy&, const BundlePolicy&,
                            const MetaCacheOptions&, Catalog*);
  std::vector<Migration> migrations_;
  // The checker that read the catalog, with what it already checked: a
  // worker forked to run the steps loads those files without checking again.
  TrustChecker trust_{TrustPolicy{}};
};

// Reads every plugin file and bundle. A plugin file with an lm_meta section
// is read, not loaded (Catalog::Load loads it when a step needs it); any
// other is loaded and its descriptors read. Any file that
// is not a valid plugin of this ABI, any bundle that fails verification or
// whose plugins do not hold what its manifest says, and any version provided
// twice, is an error (kind kPluginLoad) naming the file(s) and version,
// reported before anything runs. Plugin files and bundle files must pass the
// trust policy first (see trust.h).
// Plugin files' lm_meta records come from the folder's metadata cache
// (meta_cache.h) when the file is unchanged; this reads its place from the
// environment (MetaCacheDirFromEnvironment).
Status LoadCatalog(const std::vector<MigrationSource>& sources, const TrustPolicy& trust,
                   const BundlePolicy& bundle_policy, Catalog* catalog);

// The same with the cache's place and clock given (for the tests).
Status LoadCatalog(const std::vector<MigrationSource>& sources, const TrustPolicy& trust,
                   const BundlePolicy& bundle_policy, const MetaCacheOptions& cache, Catalog* catalog);

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_CATALOG_H
