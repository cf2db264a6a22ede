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

#include "catalog/descriptor_probe.h"
#include "catalog/library_file.h"
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

Status LoadMemberAndRead(const std::string& bytes, const std::string& name, std::vector<Migration>* migrations) {
  const boost::dll::shared_library* library = nullptr;
  LM_RETURN_IF_ERROR(LoadPluginFromMemory(bytes, name, &library));
  return ReadDescriptors(name, library, migrations);
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

// A file (or bundle member) without lm_meta: only loading it tells what it
// holds, which the checking child does for all of them at once.
struct FileToProbe {
  std::string name;
  size_t source = 0;                          // index of its source, to order problems
  const std::string* member_bytes = nullptr;  // a bundle member's (in CatalogRead); null for a plugin file
  std::vector<BundleMigration> listed;        // a member's: what the bundle's manifest says it holds
};

// What LoadCatalog gathers from the sources, then hands to the Catalog.
struct CatalogRead {
  std::vector<Migration> migrations;
  std::vector<std::pair<size_t, Status>> problems;  // by source index
  std::vector<FileToProbe> to_probe;
  std::unordered_map<std::string, std::string> bundle_members;
};

// Plugins with lm_meta metadata are not loaded: reading it is enough to
// plan, validate and report. `name` is the file's name (the end of `file`)
// in `folder`. A file without lm_meta goes to `to_probe`.
Status ReadPluginFile(const std::string& file, std::string_view name, const OpenFolder& folder, TrustChecker& trust,
                      size_t source, CatalogRead* read) {
  if (trust.policy().bundles_only)
    return PluginError(file, "refused: the config allows only bundles (trust.bundles_only)");
  LibraryFileInfo info;
  std::string problem;
  // One open: its fstat serves the trust check (the checked file is the one
  // read), its bytes the metadata. A link (O_NOFOLLOW refuses it) is
  // resolved and checked whole. O_NONBLOCK: a FIFO put in the file's place
  // since the folder was listed would block the open forever.
  const int fd = openat(folder.at(), folder.Relative(file, name), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0 && errno == ELOOP) {
    problem = LinkProblem(file);
    if (problem.empty()) {
      LM_RETURN_IF_ERROR(trust.Check(file));
      problem = InspectLibraryFile(file, &info);
    }
  } else {
    struct stat opened {};
    if (fd < 0 || fstat(fd, &opened) != 0) {
      const std::string reason = std::strerror(errno);
      if (fd >= 0) close(fd);
      return PluginError(file, "cannot read: " + reason);
    }
    // What is no file is refused before the trust check, whose digest
    // would read a FIFO or a device forever.
    if (!S_ISREG(opened.st_mode)) {
      close(fd);
      return PluginError(file, "not a regular file");
    }
    Status trusted = trust.CheckNonLink(file, opened);
    if (trusted.ok()) problem = InspectLibraryFd(fd, static_cast<uint64_t>(opened.st_size), &info);
    close(fd);
    LM_RETURN_IF_ERROR(trusted);
  }
  if (!problem.empty()) return PluginError(file, problem);
  if (!info.has_meta) {
    read->to_probe.push_back(FileToProbe{file, source, nullptr, {}});
    return Status::Ok();
  }
  return AddMeta(file, info.meta, &read->migrations);
}

// A bundle member must hold exactly the migrations its manifest lists.
Status CheckAgainstManifest(const std::string& name, const std::vector<BundleMigration>& listed,
                            std::vector<BundleMigration> found) {
  std::vector<BundleMigration> expected = listed;
  auto by_version = [](const BundleMigration& a, const BundleMigration& b) { return a.version < b.version; };
  std::sort(expected.begin(), expected.end(), by_version);
  std::sort(found.begin(), found.end(), by_version);
  bool matches = found.size() == expected.size();
  for (size_t i = 0; matches && i < found.size(); ++i)
    matches = found[i].version == expected[i].version && found[i].name == expected[i].name;
  return matches ? Status::Ok() : PluginError(name, "holds other migrations than the bundle's manifest lists for it");
}

// A bundle's members are read only after the whole bundle verified; their
// bytes stay in `read` for the worker to load. A member's problem is its
// own: the bundle's other members still count.
Status ReadBundleFile(const std::string& path, const TrustChecker& trust, const BundlePolicy& policy, size_t source,
                      CatalogRead* read) {
  TrustPolicy permissions_only;
  permissions_only.check_permissions = trust.policy().check_permissions;
  LM_RETURN_IF_ERROR(CheckTrusted(path, permissions_only));
  Bundle bundle;
  LM_RETURN_IF_ERROR(ReadBundle(path, policy, &bundle));
  for (BundleFile& file : bundle.manifest.files) {
    std::string name = path + ":" + file.path;
    LibraryFileInfo info;
    const std::string problem = InspectLibraryBytes(file.bytes, &info);
    if (!problem.empty()) {
      read->problems.emplace_back(source, PluginError(name, problem));
      continue;
    }
    auto [member, added] = read->bundle_members.try_emplace(name, std::move(file.bytes));
    if (!added) {  // the same bundle given twice: its versions are reported twice
      read->problems.emplace_back(source, PluginError(name, "is read twice (the same bundle listed twice?)"));
      continue;
    }
    if (!info.has_meta) {
      read->to_probe.push_back(FileToProbe{std::move(name), source, &member->second, std::move(file.migrations)});
      continue;
    }
    std::vector<BundleMigration> found;
    for (const lm_meta_record& record : info.meta) found.push_back({record.version, record.name});
    Status checked = CheckAgainstManifest(name, file.migrations, std::move(found));
    if (checked.ok()) checked = AddMeta(name, info.meta, &read->migrations);
    if (!checked.ok()) read->problems.emplace_back(source, std::move(checked));
  }
  return Status::Ok();
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

// Loads the files without lm_meta in the checking child, and adds what it
// found (a bundle member's only when its manifest agrees).
void ProbeFiles(TrustChecker& trust, CatalogRead* read) {
  if (read->to_probe.empty()) return;
  std::vector<std::string> names;
  names.reserve(read->to_probe.size());
  for (const FileToProbe& file : read->to_probe) names.push_back(file.name);
  // Runs in the child: the library stays there.
  auto load_and_read = [&](size_t index, std::vector<Migration>* migrations) {
    const FileToProbe& file = read->to_probe[index];
    if (file.member_bytes != nullptr) return LoadMemberAndRead(*file.member_bytes, file.name, migrations);
    return LoadAndRead(file.name, trust, migrations);
  };
  std::vector<ProbedFile> probed = ReadDescriptorsInChild(names, load_and_read);
  for (size_t i = 0; i < probed.size(); ++i) {
    const FileToProbe& file = read->to_probe[i];
    Status problem = std::move(probed[i].problem);
    if (problem.ok() && file.member_bytes != nullptr) {
      std::vector<BundleMigration> found;
      for (const Migration& migration : probed[i].migrations) found.push_back({migration.version, migration.name});
      problem = CheckAgainstManifest(file.name, file.listed, std::move(found));
    }
    if (!problem.ok()) {
      read->problems.emplace_back(file.source, std::move(problem));
      continue;
    }
    std::move(probed[i].migrations.begin(), probed[i].migrations.end(), std::back_inserter(read->migrations));
  }
}

// Of a version provided twice, the first source's migration stays and the
// rest become problems: plans and drift checks need one migration a version.
void RemoveDuplicates(std::vector<Migration>* migrations, std::vector<Status>* problems) {
  size_t kept = 0;
  for (size_t i = 0; i < migrations->size(); ++i) {
    Migration& migration = (*migrations)[i];
    if (kept > 0 && (*migrations)[kept - 1].version == migration.version) {
      const Migration& first = (*migrations)[kept - 1];
      const std::string where = first.file == migration.file ? "twice in " + first.file
                                                             : "by both " + first.file + " and " + migration.file;
      problems->push_back(Status::Error(ErrorKind::kPluginLoad, "duplicate migration version " +
                                                                    std::to_string(first.version) + ": provided " + where));
      continue;
    }
    if (kept != i) (*migrations)[kept] = std::move(migration);
    ++kept;
  }
  migrations->erase(migrations->begin() + static_cast<std::ptrdiff_t>(kept), migrations->end());
}

}  // namespace

const Migration* Catalog::Find(int64_t version) const {
  auto it = std::lower_bound(migrations_.begin(), migrations_.end(), version,
                             [](const Migration& m, int64_t v) { return m.version < v; });
  return it != migrations_.end() && it->version == version ? &*it : nullptr;
}

Status Catalog::Usable() const {
  if (problems_.empty()) return Status::Ok();
  const Status& first = problems_.front();
  if (problems_.size() == 1) return first;
  return Status::Error(first.kind(), first.message() + " (and " + std::to_string(problems_.size() - 1) + " more)");
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
// before (from lm_meta, or by the checking child), may be read meanwhile by
// another thread, and must agree.
Status Catalog::LoadFile(const PluginFileLoad& load) {
  const std::filesystem::path file(load.file);
  std::vector<Migration> described;
  auto member = bundle_members_.find(load.file);
  if (member != bundle_members_.end()) {
    LM_RETURN_IF_ERROR(LoadMemberAndRead(member->second, load.file, &described));
  } else {
    LM_RETURN_IF_ERROR(LoadAndRead(file, trust_, &described));
  }
  const bool from_meta = read_by_loading_.count(load.file) == 0;
  // A library may hold thousands: matched by version through a sorted list,
  // not searched once per migration.
  auto by_version = [](const Migration& a, const Migration& b) { return a.version < b.version; };
  std::sort(described.begin(), described.end(), by_version);
  std::vector<Migration*> matches;
  matches.reserve(load.migrations.size());
  for (const Migration* known : load.migrations) {
    auto match = std::lower_bound(described.begin(), described.end(), *known, by_version);
    if (match == described.end() || !SameMetadata(*match, *known))
      return PluginError(file, from_meta ? "its lm_meta section disagrees with its descriptor for version " +
                                               std::to_string(known->version) + ": damaged or tampered plugin"
                                         : "its descriptor for version " + std::to_string(known->version) +
                                               " changed since the runner read it: replaced while it ran?");
    matches.push_back(&*match);
  }
  if (described.size() != load.migrations.size())
    return PluginError(file, from_meta ? "its descriptors list migrations its lm_meta section does not: damaged plugin"
                                       : "its descriptors list migrations they did not when the runner read it: "
                                         "replaced while it ran?");
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
  TrustChecker trust(trust_policy);
  CatalogRead read;
  // A plugin file usually holds one migration: growing the vector file by
  // file would move every migration about once more, into fresh pages.
  read.migrations.reserve(sources.size());
  // Discovery gives a folder's files one after another: the folder is
  // opened once per run of files in it, found from the path's text.
  std::unique_ptr<OpenFolder> open_folder;
  std::string_view open_folder_path;
  for (size_t source = 0; source < sources.size(); ++source) {
    const MigrationSource& found = sources[source];
    Status status;
    if (found.is_bundle) {
      status = ReadBundleFile(found.path, trust, bundle_policy, source, &read);
    } else {
      const std::string_view folder = FolderOf(found.path);
      if (open_folder == nullptr || folder != open_folder_path) {
        open_folder_path = folder;
        open_folder.reset();
        open_folder = std::make_unique<OpenFolder>(std::string(folder));
      }
      status = ReadPluginFile(found.path, NameOf(found.path), *open_folder, trust, source, &read);
    }
    if (!status.ok()) read.problems.emplace_back(source, std::move(status));
  }
  ProbeFiles(trust, &read);

  // Files named after their versions arrive in order: then there is nothing to move.
  auto by_version = [](const Migration& a, const Migration& b) { return a.version < b.version; };
  if (!std::is_sorted(read.migrations.begin(), read.migrations.end(), by_version)) SortByVersion(&read.migrations);
  // In the order of the sources, whichever step found them.
  std::stable_sort(read.problems.begin(), read.problems.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  *catalog = Catalog{};
  for (auto& [source, problem] : read.problems) catalog->problems_.push_back(std::move(problem));
  RemoveDuplicates(&read.migrations, &catalog->problems_);
  for (const FileToProbe& file : read.to_probe) catalog->read_by_loading_.insert(file.name);
  catalog->migrations_ = std::move(read.migrations);
  catalog->bundle_members_ = std::move(read.bundle_members);
  catalog->trust_ = std::move(trust);
  return Status::Ok();
}

}  // namespace lm
