// The migrations the runner found: read from plugin files and bundles without
// loading them in this process, checked against the ABI, sorted by version,
// with no version provided twice; and the problems of the files that could
// not be read.
#ifndef LINK_MIGRATION_RUNNER_CATALOG_H
#define LINK_MIGRATION_RUNNER_CATALOG_H

#include <link_migration/migration.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/status.h"
#include "catalog/bundle.h"
#include "catalog/discovery.h"
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

  // Known once the plugin is loaded (see Catalog::Load); for a plugin
  // without an lm_meta section, the texts from the start (the catalog's
  // checking child loaded it).
  std::string description;
  std::string up_note;
  std::string down_note;
  const lm_migration* descriptor = nullptr;  // lives as long as the process

  bool loaded() const { return descriptor != nullptr; }
  bool reversible() const { return has_down; }
  bool transactional() const { return (flags & LM_MIGRATION_NO_TRANSACTION) == 0; }
};

// A plugin file (or a bundle's member) to load, and the catalog's migrations
// it holds.
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

  // Why files could not be read, one Status (kind kPluginLoad) per file
  // naming it, in the order of the sources, then one per version provided
  // twice. Their migrations are not in the catalog (of a version provided
  // twice, one stays, so that the catalog still names each version once).
  const std::vector<Status>& problems() const { return problems_; }
  // Ok, or the first problem, followed by " (and N more)" when there are more.
  Status Usable() const;

  // Loads, in the calling process, the plugin files and bundle members
  // holding `versions`, and checks their descriptors agree with what the
  // catalog read. Only a worker process calls it: the runner never loads a
  // migration plugin.
  Status Load(const std::vector<int64_t>& versions);

  // The same in two parts, for a caller that loads while steps run: the
  // files to load, in the order `versions` first needs them, then one file.
  // LoadFile writes only what loading adds (description, notes, descriptor)
  // to the file's migrations, and only once it checked them all. A bundle's
  // member loads from the bytes the catalog kept, never from the bundle file
  // again.
  std::vector<PluginFileLoad> FilesToLoad(const std::vector<int64_t>& versions);
  Status LoadFile(const PluginFileLoad& load);

  // A catalog of `migrations` (distinct versions), as LoadCatalog would have
  // read them, for code that only reads what a catalog names: the relay's
  // fuzz target has no plugin files to read.
  static Catalog Of(std::vector<Migration> migrations);

 private:
  friend Status LoadCatalog(const std::vector<MigrationSource>&, const TrustPolicy&, const BundlePolicy&, Catalog*);
  std::vector<Migration> migrations_;
  std::vector<Status> problems_;
  // The verified bytes of each bundle member, by its name
  // ("<bundle>:plugins/<file>"): a worker forked to run the steps loads them
  // from here.
  std::unordered_map<std::string, std::string> bundle_members_;
  // The files without lm_meta, whose metadata the checking child read.
  std::unordered_set<std::string> read_by_loading_;
  // The checker that read the catalog, with what it already checked: a
  // worker forked to run the steps loads those files without checking again.
  TrustChecker trust_{TrustPolicy{}};
};

// Reads every plugin file and bundle without loading any of them in this
// process. A plugin file or bundle member with an lm_meta section is read
// from it (Catalog::Load loads it in the worker when a step needs it); the
// others are loaded in one short-lived checking child (descriptor_probe.h),
// which sends their descriptors' metadata back. Plugin files and bundle
// files must pass the trust policy first (see trust.h).
// Any file that is not a valid plugin of this ABI (or crashes while it
// loads), any bundle that fails verification or whose plugins do not hold
// what its manifest says, and any version provided twice, is a problem of
// the catalog (see Catalog::problems), not an error of this call: one broken
// file does not hide what the others hold. An error returned here would be
// one not about a single file (there is none today).
Status LoadCatalog(const std::vector<MigrationSource>& sources, const TrustPolicy& trust,
                   const BundlePolicy& bundle_policy, Catalog* catalog);

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_CATALOG_H
