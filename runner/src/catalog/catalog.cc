#include "catalog/catalog.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <iterator>
#include <map>
#include <memory>
#include <span>
#include <string_view>

#include "catalog/library_file.h"
#include "catalog/meta_cache.h"
#include "base/path_text.h"
#include "catalog/plugin_library.h"

namespace lm {
namespace {

// The first ABI 1 layouts; anything shorter cannot be a valid descriptor.
constexpr uint32_t kMinPluginSize = offsetof(lm_plugin, end) + sizeof(lm_plugin::end);
constexpr uint32_t kMinMigrationSize = offsetof(lm_migration, down) + sizeof(lm_migration::down);

Status PluginError(const std::string& file, const std::string& what) {
  return Status::Error(ErrorKind::kPluginLoad, file + ": " + what);
}
Status PluginError(const std::filesystem::path& file, const std::string& what) { return PluginError(file.native(), what); }

std::string Text(const char* text) { return text ? text : ""; }

Status ReadMigration(const std::filesystem::path& file, const lm_migration* descriptor,
                     Migration* migration) {
  if (descriptor->struct_size < kMinMigrationSize)
    return PluginError(file, "a migration descriptor is too small (" +
                                 std::to_string(descriptor->struct_size) + " bytes): damaged plugin");
  const std::string version = "version " + std::to_string(descriptor->version);
  if (descriptor->version <= 0)
    return PluginError(file, version + ": versions must be greater than 0");
  if (descriptor->name == nullptr || descriptor->name[0] == '\0')
    return PluginError(file, version + ": the migration has no name");
  if (descriptor->up == nullptr) return PluginError(file, version + ": the migration has no up step");

  migration->version = descriptor->version;
  migration->name = descriptor->name;
  migration->description = Text(descriptor->description);
  migration->up_note = Text(descriptor->up_note);
  migration->down_note = Text(descriptor->down_note);
  migration->checksum = Text(descriptor->checksum);
  migration->flags = descriptor->flags;
  migration->has_down = descriptor->down != nullptr;
  migration->file = file.native();
  migration->descriptor = descriptor;
  return Status::Ok();
}

// In place: status builds a thousand of these at every start.
void FromMeta(const std::string& file, const lm_meta_record& record, Migration* migration) {
  migration->version = record.version;
  migration->name = record.name;
  migration->checksum = record.checksum;
  migration->flags = record.flags;
  migration->has_down = record.reversible != 0;
  migration->file = file;
}

bool SameMetadata(const Migration& a, const Migration& b) {
  return a.version == b.version && a.name == b.name && a.checksum == b.checksum && a.flags == b.flags &&
         a.has_down == b.has_down;
}

Status ReadDescriptors(const std::filesystem::path& file, const boost::dll::shared_library* library,
                       std::vector<Migration>* migrations) {
  if (!library->has(LM_PLUGIN_SYMBOL))
    return PluginError(file, std::string("no entry point '") + LM_PLUGIN_SYMBOL +
                                 "': not a link-migration migration plugin");
  const lm_plugin& plugin = library->get<const lm_plugin>(LM_PLUGIN_SYMBOL);
  // Only the two leading fields are read before the ABI version is known good.
  if (plugin.abi_version != LM_ABI_VERSION)
    return PluginError(file, "built for plugin ABI " + std::to_string(plugin.abi_version) +
                                 ", this runner supports ABI " + std::to_string(LM_ABI_VERSION));
  if (plugin.struct_size < kMinPluginSize)
    return PluginError(file, "the plugin descriptor is too small (" + std::to_string(plugin.struct_size) +
                                 " bytes): damaged plugin");
  if (plugin.begin == plugin.end) return PluginError(file, "exports no migrations");
  for (const lm_migration* const* entry = plugin.begin; entry != plugin.end; ++entry) {
    if (*entry == nullptr) continue;
    Migration migration;
    LM_RETURN_IF_ERROR(ReadMigration(file, *entry, &migration));
    migrations->push_back(std::move(migration));
  }
  return Status::Ok();
}

Status LoadAndRead(const std::filesystem::path& file, TrustChecker& trust, std::vector<Migration>* migrations) {
  const boost::dll::shared_library* library = nullptr;
  LM_RETURN_IF_ERROR(LoadPluginLibrary(file, trust, &library));
  return ReadDescriptors(file, library, migrations);
}

// A library's migrations join the catalog in version order, so that the
// catalog is usually sorted as read: sorting the records' addresses is
// cheaper than sorting ten thousand migrations.
Status AddMeta(const std::string& file, std::span<const lm_meta_record> records, std::vector<Migration>* migrations) {
  for (const lm_meta_record& record : records)
    if (record.version <= 0)
      return PluginError(file, "version " + std::to_string(record.version) + ": versions must be greater than 0");
  // Room for them all at once (still doubling, so that a thousand
  // one-migration files do not each reallocate) spares moving the ones
  // before into fresh pages.
  const size_t needed = migrations->size() + records.size();
  if (needed > migrations->capacity()) migrations->reserve(std::max(needed, 2 * migrations->capacity()));
  std::vector<const lm_meta_record*> in_order;
  in_order.reserve(records.size());
  for (const lm_meta_record& record : records) in_order.push_back(&record);
  auto by_version = [](const lm_meta_record* a, const lm_meta_record* b) { return a->version < b->version; };
  if (!std::is_sorted(in_order.begin(), in_order.end(), by_version))
    std::stable_sort(in_order.begin(), in_order.end(), by_version);
  for (const lm_meta_record* record : in_order) FromMeta(file, *record, &migrations->emplace_back());
  return Status::Ok();
}

// A folder of plugin files, opened once so that each file is found from it
// by name: the kernel then walks the folder's path once, not once per file.
class OpenFolder {
 public:
  explicit OpenFolder(const std::string& folder)
      : fd_(open(folder.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)) {}
  ~OpenFolder() {
    if (fd_ >= 0) close(fd_);
  }
  OpenFolder(const OpenFolder&) = delete;
  OpenFolder& operator=(const OpenFolder&) = delete;

  // For the *at system calls: `file` is `name` in this folder. A folder that
  // would not open leaves the whole path to the calls, and their errors.
  int at() const { return fd_ >= 0 ? fd_ : AT_FDCWD; }
  const char* Relative(const std::string& file, std::string_view name) const {
    return fd_ >= 0 ? name.data() : file.c_str();
  }

 private:
  int fd_;
};

// Plugins with lm_meta metadata are not loaded here: reading it is enough
// to plan, validate and report. `name` is the file's name (the end of
// `file`) in `folder`, whose metadata cache is `cache`; `cached` is scratch
// space.
Status ReadPluginFile(const std::string& file, std::string_view name, const OpenFolder& folder, TrustChecker& trust,
                      MetaCache& cache, std::vector<lm_meta_record>* cached, std::vector<Migration>* migrations) {
  if (trust.policy().bundles_only)
    return PluginError(file, "refused: the config allows only bundles (trust.bundles_only)");
  // When the cache holds entries, one lstat per file: it serves the trust
  // check and the cache's key, and for an unchanged file it is the only
  // system call. (Without entries, it would only be one call more.)
  bool is_link = false;
  if (cache.has_entries()) {
    struct stat seen {};
    if (fstatat(folder.at(), folder.Relative(file, name), &seen, AT_SYMLINK_NOFOLLOW) != 0)
      return PluginError(file, std::string("cannot read: ") + std::strerror(errno));
    std::span<const lm_meta_record> kept;
    if (S_ISREG(seen.st_mode) && cache.Find(name, seen, cached, &kept)) {
      LM_RETURN_IF_ERROR(trust.CheckNonLink(file, seen));
      return AddMeta(file, kept, migrations);
    }
    is_link = S_ISLNK(seen.st_mode);
  }
  LibraryFileInfo info;
  std::string problem;
  // Else one open: its fstat serves the trust check (the checked file is the
  // one read) and the cache's key, its bytes the metadata. A link (O_NOFOLLOW
  // refuses it) is resolved and checked whole, and never cached.
  const int fd = is_link ? -1 : openat(folder.at(), folder.Relative(file, name), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (is_link || (fd < 0 && errno == ELOOP)) {
    LM_RETURN_IF_ERROR(trust.Check(file));
    problem = InspectLibraryFile(file, &info);
    if (!problem.empty()) return PluginError(file, problem);
  } else {
    struct stat opened {};
    if (fd < 0 || fstat(fd, &opened) != 0) {
      const std::string reason = std::strerror(errno);
      if (fd >= 0) close(fd);
      return PluginError(file, "cannot read: " + reason);
    }
    Status trusted = trust.CheckNonLink(file, opened);
    if (trusted.ok()) problem = InspectLibraryFd(fd, static_cast<uint64_t>(opened.st_size), &info);
    close(fd);
    LM_RETURN_IF_ERROR(trusted);
    if (!problem.empty()) return PluginError(file, problem);
    if (info.has_meta) cache.Offer(name, opened, info.meta);
  }
  if (!info.has_meta) return LoadAndRead(file, trust, migrations);
  return AddMeta(file, info.meta, migrations);
}

// A bundle's plugins load only after the whole bundle verified, and must
// then hold exactly the migrations its manifest lists.
Status ReadBundleFile(const std::filesystem::path& path, const TrustChecker& trust, const BundlePolicy& policy,
                      std::vector<Migration>* migrations) {
  TrustPolicy permissions_only;
  permissions_only.check_permissions = trust.policy().check_permissions;
  LM_RETURN_IF_ERROR(CheckTrusted(path, permissions_only));
  Bundle bundle;
  LM_RETURN_IF_ERROR(ReadBundle(path, policy, &bundle));
  for (const BundleFile& file : bundle.manifest.files) {
    const std::filesystem::path name = path.string() + ":" + file.path;
    const boost::dll::shared_library* library = nullptr;
    LM_RETURN_IF_ERROR(LoadPluginFromMemory(file.bytes, name.string(), &library));
    std::vector<Migration> found;
    LM_RETURN_IF_ERROR(ReadDescriptors(name, library, &found));
    std::vector<BundleMigration> listed = file.migrations;
    auto by_version = [](const auto& a, const auto& b) { return a.version < b.version; };
    std::sort(listed.begin(), listed.end(), by_version);
    std::sort(found.begin(), found.end(), by_version);
    bool matches = found.size() == listed.size();
    for (size_t i = 0; matches && i < found.size(); ++i)
      matches = found[i].version == listed[i].version && found[i].name == listed[i].name;
    if (!matches) return PluginError(name, "holds other migrations than the bundle's manifest lists for it");
    migrations->insert(migrations->end(), std::make_move_iterator(found.begin()), std::make_move_iterator(found.end()));
  }
  return Status::Ok();
}

// The cache is named by the folder's absolute path; a relative one is taken
// from the working directory, as opening its files does.
std::string AbsoluteFolder(std::string_view folder) {
  if (!folder.empty() && folder.front() == '/') return std::string(folder);
  std::error_code error;
  std::filesystem::path absolute = std::filesystem::absolute(std::filesystem::path(folder), error);
  return error ? std::string() : absolute.lexically_normal().native();
}

// Stable, moving each migration once: sorting the heavy objects themselves
// moves each of them log N times.
void SortByVersion(std::vector<Migration>* migrations) {
  std::vector<std::pair<int64_t, size_t>> order;
  order.reserve(migrations->size());
  for (size_t i = 0; i < migrations->size(); ++i) order.emplace_back((*migrations)[i].version, i);
  std::sort(order.begin(), order.end());
  std::vector<Migration> sorted;
  sorted.reserve(migrations->size());
  for (const auto& [version, index] : order) sorted.push_back(std::move((*migrations)[index]));
  *migrations = std::move(sorted);
}

}  // namespace

const Migration* Catalog::Find(int64_t version) const {
  auto it = std::lower_bound(migrations_.begin(), migrations_.end(), version,
                             [](const Migration& m, int64_t v) { return m.version < v; });
  return it != migrations_.end() && it->version == version ? &*it : nullptr;
}

Catalog Catalog::Of(std::vector<Migration> migrations) {
  SortByVersion(&migrations);
  Catalog catalog;
  catalog.migrations_ = std::move(migrations);
  return catalog;
}

std::vector<PluginFileLoad> Catalog::FilesToLoad(const std::vector<int64_t>& versions) {
  std::vector<PluginFileLoad> loads;
  std::map<std::string_view, size_t> place;  // file -> index in loads
  for (int64_t version : versions) {
    const Migration* migration = Find(version);
    if (migration == nullptr || migration->loaded()) continue;
    if (place.try_emplace(migration->file, loads.size()).second) loads.push_back(PluginFileLoad{migration->file, {}});
  }
  // Each file's migrations, found in one pass rather than one per file.
  for (Migration& known : migrations_) {
    auto found = place.find(known.file);
    if (found != place.end()) loads[found->second].migrations.push_back(&known);
  }
  return loads;
}

// Only what loading adds is written: the rest of each migration was read
// from lm_meta, may be read meanwhile by another thread, and must agree.
Status Catalog::LoadFile(const PluginFileLoad& load) {
  const std::filesystem::path file(load.file);
  std::vector<Migration> described;
  LM_RETURN_IF_ERROR(LoadAndRead(file, trust_, &described));
  // A library may hold thousands: matched by version through a sorted list,
  // not searched once per migration.
  auto by_version = [](const Migration& a, const Migration& b) { return a.version < b.version; };
  std::sort(described.begin(), described.end(), by_version);
  std::vector<Migration*> matches;
  matches.reserve(load.migrations.size());
  for (const Migration* known : load.migrations) {
    auto match = std::lower_bound(described.begin(), described.end(), *known, by_version);
    if (match == described.end() || !SameMetadata(*match, *known))
      return PluginError(file, "its lm_meta section disagrees with its descriptor for version " +
                                   std::to_string(known->version) + ": damaged or tampered plugin");
    matches.push_back(&*match);
  }
  if (described.size() != load.migrations.size())
    return PluginError(file, "its descriptors list migrations its lm_meta section does not: damaged plugin");
  for (size_t i = 0; i < matches.size(); ++i) {
    Migration& known = *load.migrations[i];
    known.description = std::move(matches[i]->description);
    known.up_note = std::move(matches[i]->up_note);
    known.down_note = std::move(matches[i]->down_note);
    known.descriptor = matches[i]->descriptor;
  }
  return Status::Ok();
}

Status Catalog::Load(const std::vector<int64_t>& versions) {
  for (const PluginFileLoad& load : FilesToLoad(versions)) LM_RETURN_IF_ERROR(LoadFile(load));
  return Status::Ok();
}

Status LoadCatalog(const std::vector<MigrationSource>& sources, const TrustPolicy& trust_policy,
                   const BundlePolicy& bundle_policy, Catalog* catalog) {
  return LoadCatalog(sources, trust_policy, bundle_policy, MetaCacheOptions{MetaCacheDirFromEnvironment()}, catalog);
}

Status LoadCatalog(const std::vector<MigrationSource>& sources, const TrustPolicy& trust_policy,
                   const BundlePolicy& bundle_policy, const MetaCacheOptions& cache_options, Catalog* catalog) {
  TrustChecker trust(trust_policy);
  std::vector<Migration> migrations;
  // A plugin file usually holds one migration: growing the vector file by
  // file would move every migration about once more, into fresh pages.
  migrations.reserve(sources.size());
  // Discovery gives a folder's files one after another: one cache per run of
  // files with the same folder, found from the path's text.
  std::vector<std::unique_ptr<MetaCache>> caches;
  std::unique_ptr<OpenFolder> open_folder;
  std::string_view cache_folder;
  std::vector<lm_meta_record> cached;
  for (const MigrationSource& source : sources) {
    if (source.is_bundle) {
      LM_RETURN_IF_ERROR(ReadBundleFile(source.path, trust, bundle_policy, &migrations));
      continue;
    }
    const std::string_view folder = FolderOf(source.path);
    const std::string_view name = NameOf(source.path);
    if (caches.empty() || folder != cache_folder) {
      cache_folder = folder;
      open_folder.reset();
      open_folder = std::make_unique<OpenFolder>(std::string(folder));
      caches.push_back(std::make_unique<MetaCache>(cache_options.dir, AbsoluteFolder(folder), cache_options.clock));
    }
    LM_RETURN_IF_ERROR(
        ReadPluginFile(source.path, name, *open_folder, trust, *caches.back(), &cached, &migrations));
  }
  // Files named after their versions arrive in order: then there is nothing to move.
  auto by_version = [](const Migration& a, const Migration& b) { return a.version < b.version; };
  if (!std::is_sorted(migrations.begin(), migrations.end(), by_version)) SortByVersion(&migrations);
  for (size_t i = 1; i < migrations.size(); ++i) {
    const Migration& first = migrations[i - 1];
    const Migration& second = migrations[i];
    if (first.version != second.version) continue;
    const std::string where = first.file == second.file
                                  ? "twice in " + first.file
                                  : "by both " + first.file + " and " + second.file;
    return Status::Error(ErrorKind::kPluginLoad, "duplicate migration version " +
                                                     std::to_string(first.version) + ": provided " + where);
  }
  // Only after every file read well; a cache is never an error.
  for (const std::unique_ptr<MetaCache>& cache : caches) cache->Save();
  catalog->migrations_ = std::move(migrations);
  catalog->trust_ = std::move(trust);
  return Status::Ok();
}

}  // namespace lm
