// The plugin metadata cache (runner/src/meta_cache.h): hits only for an
// unchanged file, writes only old-enough files, ignores any cache file it
// cannot trust, and the catalog reads through it.
#include "catalog/meta_cache.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/discovery.h"
#include "engine_fixture.h"
#include "test_plugins.h"

namespace lm_test {
namespace {

using ::testing::HasSubstr;

struct stat LStat(const fs::path& file) {
  struct stat info {};
  if (lstat(file.c_str(), &info) != 0) throw std::runtime_error("cannot lstat " + file.string());
  return info;
}

// Changes `file`'s ctime and nothing else that the cache keys on: chmod to
// the same mode until the ctime moves on (a tick of the file system's clock).
void BumpCtime(const fs::path& file) {
  const struct stat before = LStat(file);
  for (int i = 0; i < 1000000; ++i) {
    if (chmod(file.c_str(), before.st_mode & 07777) != 0) throw std::runtime_error("chmod failed");
    const struct stat now = LStat(file);
    if (now.st_ctim.tv_sec != before.st_ctim.tv_sec || now.st_ctim.tv_nsec != before.st_ctim.tv_nsec) return;
  }
  throw std::runtime_error("the ctime never moved");
}

// Sets `file`'s mtime (and atime) to `when`.
void SetMtime(const fs::path& file, const struct timespec& when) {
  const struct timespec times[2] = {when, when};
  if (utimensat(AT_FDCWD, file.c_str(), times, 0) != 0) throw std::runtime_error("utimensat failed");
}

lm_meta_record Record(int64_t version, const std::string& name) {
  lm_meta_record record{};
  record.magic = LM_META_MAGIC;
  record.struct_size = sizeof(lm_meta_record);
  record.version = version;
  record.reversible = 1;
  std::snprintf(record.name, sizeof(record.name), "%s", name.c_str());
  return record;
}

class MetaCacheTest : public ::testing::Test {
 protected:
  MetaCacheTest() {
    fs::create_directories(Folder());
    // Every file the test makes counts as old enough unless a test says otherwise.
    now_ = lm::SystemWallClock();
    now_.tv_sec += 10;
  }

  fs::path Folder() const { return dir_ / "migrations"; }
  std::string CacheDir() const { return (dir_ / "cache").string(); }
  fs::path CacheFile() const { return fs::path(CacheDir()) / lm::MetaCacheFileName(Folder().string()); }
  lm::WallClock Clock() {
    return [this] { return now_; };
  }
  lm::MetaCacheOptions Options() { return {CacheDir(), Clock()}; }

  // The catalog of Folder(), read through the cache.
  lm::Status Load(lm::Catalog* catalog, const lm::TrustPolicy& trust = {}) {
    std::vector<lm::MigrationSource> sources;
    LM_RETURN_IF_ERROR(lm::DiscoverMigrationSources({Folder()}, &sources));
    return lm::LoadCatalog(sources, trust, lm::BundlePolicy{}, Options(), catalog);
  }
  std::string NameOf(int64_t version) {
    lm::Catalog catalog;
    const lm::Status status = Load(&catalog);
    if (!status.ok()) return "error: " + status.message();
    const lm::Migration* migration = catalog.Find(version);
    return migration == nullptr ? "(none)" : migration->name;
  }

  // What the cache file holds; nullopt when it is missing or unusable.
  std::optional<lm::MetaCacheFile> Cached() const {
    if (!fs::exists(CacheFile())) return std::nullopt;
    lm::MetaCacheFile file;
    if (!lm::ParseMetaCache(ReadFile(CacheFile()), lm::MetaCacheBuild(), Folder().string(), &file)) return std::nullopt;
    return file;
  }
  std::vector<std::string> CachedNames() const {
    std::vector<std::string> names;
    if (auto file = Cached())
      for (const lm::MetaCacheEntry& entry : file->entries) names.push_back(entry.name);
    return names;
  }

  // A cache file whose entry for `file` (keyed by its lstat now) says it holds
  // one migration, `version` named `name`.
  void Poison(const fs::path& file, int64_t version, const std::string& name) {
    lm::MetaCache cache(CacheDir(), Folder().string(), Clock());
    cache.Offer(file.filename().string(), LStat(file), {Record(version, name)});
    cache.Save();
    ASSERT_EQ(CachedNames(), std::vector<std::string>{file.filename().string()});
  }
  // The number of hits a fresh cache of Folder() gets for `file`.
  size_t Hits(const fs::path& file) {
    lm::MetaCache cache(CacheDir(), Folder().string(), Clock());
    std::vector<lm_meta_record> scratch;
    std::span<const lm_meta_record> records;
    return cache.Find(file.filename().string(), LStat(file), &scratch, &records) ? cache.hits() : 0;
  }

  TempDir dir_;
  struct timespec now_ {};
};

TEST_F(MetaCacheTest, UnchangedFilesAreCachedAndHit) {
  const fs::path one = CopyPlugin(plugin::kLedger1, Folder(), "001.so");
  const fs::path two = CopyPlugin(plugin::kLedger2, Folder(), "002.so");
  lm::Catalog catalog;
  LM_ASSERT_OK(Load(&catalog));
  ASSERT_EQ(catalog.migrations().size(), 2u);
  EXPECT_EQ(CachedNames(), (std::vector<std::string>{"001.so", "002.so"}));
  EXPECT_EQ(fs::status(CacheFile()).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(fs::status(CacheDir()).permissions() & fs::perms::all, fs::perms::owner_all);
  EXPECT_EQ(Hits(one), 1u);
  EXPECT_EQ(Hits(two), 1u);

  // A second load reads the same from the cache and leaves its file alone.
  const struct stat written = LStat(CacheFile());
  lm::Catalog again;
  LM_ASSERT_OK(Load(&again));
  ASSERT_EQ(again.migrations().size(), 2u);
  EXPECT_EQ(again.migrations()[1].name, catalog.migrations()[1].name);
  EXPECT_EQ(again.migrations()[1].checksum, catalog.migrations()[1].checksum);
  EXPECT_EQ(again.migrations()[1].file, two);
  EXPECT_EQ(LStat(CacheFile()).st_ino, written.st_ino) << "rewritten although nothing changed";
}

// Proves the catalog reads through the cache: an entry that lies is
// believed for status, and refused when the plugin is loaded to run.
TEST_F(MetaCacheTest, CatalogUsesTheEntryAndLoadRefusesALyingOne) {
  const fs::path two = CopyPlugin(plugin::kLedger2, Folder(), "002.so");
  Poison(two, 2, "poisoned");
  lm::Catalog catalog;
  LM_ASSERT_OK(Load(&catalog));
  ASSERT_NE(catalog.Find(2), nullptr);
  EXPECT_EQ(catalog.Find(2)->name, "poisoned");
  const lm::Status loaded = catalog.Load({2});
  EXPECT_FALSE(loaded.ok());
  EXPECT_THAT(loaded.message(), HasSubstr("its lm_meta section disagrees with its descriptor for version 2"));
}

TEST_F(MetaCacheTest, EveryKeyFieldMustMatch) {
  const fs::path two = CopyPlugin(plugin::kLedger2, Folder(), "002.so");
  Poison(two, 2, "cached");
  const struct stat real = LStat(two);
  std::vector<std::pair<std::string, struct stat>> changed;
  auto with = [&](const std::string& what, auto change) {
    struct stat info = real;
    change(info);
    changed.emplace_back(what, info);
  };
  with("dev", [](struct stat& s) { ++s.st_dev; });
  with("ino", [](struct stat& s) { ++s.st_ino; });
  with("size", [](struct stat& s) { ++s.st_size; });
  with("mtime seconds", [](struct stat& s) { --s.st_mtim.tv_sec; });
  with("mtime nanoseconds", [](struct stat& s) { s.st_mtim.tv_nsec = (s.st_mtim.tv_nsec + 1) % 1000000000; });
  with("ctime seconds", [](struct stat& s) { ++s.st_ctim.tv_sec; });
  with("ctime nanoseconds", [](struct stat& s) { s.st_ctim.tv_nsec = (s.st_ctim.tv_nsec + 1) % 1000000000; });
  std::vector<lm_meta_record> scratch;
  std::span<const lm_meta_record> records;
  for (const auto& [what, info] : changed) {
    lm::MetaCache cache(CacheDir(), Folder().string(), Clock());
    EXPECT_FALSE(cache.Find("002.so", info, &scratch, &records)) << what;
  }
  lm::MetaCache cache(CacheDir(), Folder().string(), Clock());
  EXPECT_FALSE(cache.Find("001.so", real, &scratch, &records)) << "another name";
  ASSERT_TRUE(cache.Find("002.so", real, &scratch, &records));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_STREQ(records[0].name, "cached");
  ASSERT_TRUE(cache.Find("002.so", real, &scratch, &records)) << "found again, wherever the cursor is";
}

// Same size, same mtime (set back), another plugin: a rename gives another
// inode, a rewrite in place another ctime; either way the new one shows.
TEST_F(MetaCacheTest, AReplacedFileIsReadAgain) {
  const fs::path two = CopyPlugin(plugin::kLedger2, Folder(), "002.so");
  ASSERT_EQ(fs::file_size(plugin::kLedger2), fs::file_size(plugin::kLedger3)) << "the test needs equal sizes";
  Poison(two, 2, "cached");
  const struct timespec mtime = LStat(two).st_mtim;

  const fs::path staged = CopyPlugin(plugin::kLedger3, dir_.path(), "staged.so");
  SetMtime(staged, mtime);
  fs::rename(staged, two);
  EXPECT_EQ(NameOf(2), "(none)");
  EXPECT_NE(NameOf(3), "cached");
  EXPECT_EQ(CachedNames(), std::vector<std::string>{"002.so"});
  EXPECT_EQ(Cached()->entries[0].records[0].version, 3) << "the new file's entry replaced the old";

  // In place: the inode stays, only the ctime tells.
  Poison(two, 3, "cached again");
  const ino_t inode = LStat(two).st_ino;
  fs::copy_file(plugin::kLedger2, two, fs::copy_options::overwrite_existing);
  SetMtime(two, mtime);
  BumpCtime(two);
  ASSERT_EQ(LStat(two).st_ino, inode);
  EXPECT_EQ(NameOf(3), "(none)");
  EXPECT_NE(NameOf(2), "cached again");
}

TEST_F(MetaCacheTest, AnAppendedFileIsReadAgain) {
  const fs::path two = CopyPlugin(plugin::kLedger2, Folder(), "002.so");
  Poison(two, 2, "cached");
  std::ofstream(two, std::ios::app) << "tail";
  EXPECT_NE(NameOf(2), "cached");
}

TEST_F(MetaCacheTest, FilesTooNewAreNotWritten) {
  const fs::path two = CopyPlugin(plugin::kLedger2, Folder(), "002.so");
  const struct stat info = LStat(two);
  // The newer of mtime and ctime decides.
  const struct timespec newest =
      (info.st_ctim.tv_sec > info.st_mtim.tv_sec ||
       (info.st_ctim.tv_sec == info.st_mtim.tv_sec && info.st_ctim.tv_nsec >= info.st_mtim.tv_nsec))
          ? info.st_ctim
          : info.st_mtim;
  now_ = newest;  // then 3 s later, less a nanosecond
  now_.tv_sec += lm::MetaCache::kMinAgeSeconds;
  if (now_.tv_nsec > 0) {
    --now_.tv_nsec;
  } else {
    --now_.tv_sec;
    now_.tv_nsec = 999999999;
  }
  lm::Catalog catalog;
  LM_ASSERT_OK(Load(&catalog));
  EXPECT_EQ(catalog.migrations().size(), 1u);
  EXPECT_FALSE(fs::exists(CacheFile())) << "written for a file 3 s old less a nanosecond";

  // An old mtime does not help: the ctime is as new.
  SetMtime(two, {1, 0});
  now_ = LStat(two).st_ctim;
  now_.tv_sec += 1;
  LM_ASSERT_OK(Load(&catalog));
  EXPECT_FALSE(fs::exists(CacheFile()));

  now_ = LStat(two).st_ctim;
  now_.tv_sec += lm::MetaCache::kMinAgeSeconds;
  LM_ASSERT_OK(Load(&catalog));
  EXPECT_EQ(CachedNames(), std::vector<std::string>{"002.so"}) << "exactly 3 s old";
}

TEST_F(MetaCacheTest, RemovedFilesDropOut) {
  CopyPlugin(plugin::kLedger1, Folder(), "001.so");
  const fs::path two = CopyPlugin(plugin::kLedger2, Folder(), "002.so");
  lm::Catalog catalog;
  LM_ASSERT_OK(Load(&catalog));
  ASSERT_EQ(CachedNames(), (std::vector<std::string>{"001.so", "002.so"}));
  fs::remove(two);
  LM_ASSERT_OK(Load(&catalog));
  EXPECT_EQ(CachedNames(), std::vector<std::string>{"001.so"});
  // Nothing left to cache (the C plugin has no lm_meta): no cache file. (A
  // folder with no plugin file at all is never looked at, so its cache file
  // stays until one is back; no lookup can use it meanwhile.)
  fs::remove(Folder() / "001.so");
  CopyPlugin(plugin::kCError, Folder(), "031.so");
  LM_ASSERT_OK(Load(&catalog));
  EXPECT_FALSE(fs::exists(CacheFile()));
}

TEST_F(MetaCacheTest, LinksAndFilesWithoutMetadataAreNotCached) {
  CopyPlugin(plugin::kLedger1, Folder(), "001.so");
  const fs::path elsewhere = CopyPlugin(plugin::kLedger2, dir_ / "elsewhere");
  fs::create_symlink(elsewhere, Folder() / "002.so");
  CopyPlugin(plugin::kCError, Folder(), "031.so");  // a C plugin: no lm_meta section, so it is loaded
  lm::Catalog catalog;
  LM_ASSERT_OK(Load(&catalog));
  EXPECT_EQ(catalog.migrations().size(), 3u);
  EXPECT_EQ(CachedNames(), std::vector<std::string>{"001.so"}) << "a link and a plugin without lm_meta are not cached";
}

TEST_F(MetaCacheTest, DamagedForeignOrMisplacedFilesAreIgnoredAndRewritten) {
  const fs::path two = CopyPlugin(plugin::kLedger2, Folder(), "002.so");
  Poison(two, 2, "cached");
  const std::string valid = ReadFile(CacheFile());
  lm::MetaCacheFile parsed;
  ASSERT_TRUE(lm::ParseMetaCache(valid, lm::MetaCacheBuild(), Folder().string(), &parsed));

  std::vector<std::pair<std::string, std::string>> bad;
  std::string flipped = valid;
  flipped[flipped.size() - 30] ^= 1;  // inside the record: the checksum tells
  bad.emplace_back("a flipped byte", flipped);
  bad.emplace_back("truncated", valid.substr(0, valid.size() - 1));
  bad.emplace_back("only the header", valid.substr(0, 32));
  bad.emplace_back("empty", "");
  std::string version = valid;
  version[8] = 2;  // the format version, outside the checksum
  bad.emplace_back("another format version", version);
  lm::MetaCacheFile foreign = parsed;
  foreign.build = "0.0.1 build 00";
  bad.emplace_back("another runner's build", lm::SerializeMetaCache(foreign));
  lm::MetaCacheFile misplaced = parsed;
  misplaced.folder = (dir_ / "other").string();
  bad.emplace_back("another folder's cache", lm::SerializeMetaCache(misplaced));
  bad.emplace_back("trailing bytes", valid + std::string(8, '\0'));

  for (const auto& [what, bytes] : bad) {
    SCOPED_TRACE(what);
    WriteFile(CacheFile(), bytes);
    fs::permissions(CacheFile(), fs::perms::owner_read | fs::perms::owner_write);
    EXPECT_EQ(Hits(two), 0u);
    EXPECT_NE(NameOf(2), "cached");
    EXPECT_EQ(CachedNames(), std::vector<std::string>{"002.so"}) << "not rewritten";
  }
}

TEST_F(MetaCacheTest, EveryTruncationIsRefusedAndARoundTripIsExact) {
  lm::MetaCacheFile file;
  file.build = "b";
  file.folder = "/f";
  file.entries.push_back({"a.so", {1, 2, 3, 4, 5, 6, 7}, {Record(1, "one"), Record(2, "two")}});
  file.entries.push_back({"b.so", {8, 9, 10, 11, 12, 13, 14}, {Record(3, "three")}});
  const std::string bytes = lm::SerializeMetaCache(file);
  lm::MetaCacheFile back;
  ASSERT_TRUE(lm::ParseMetaCache(bytes, "b", "/f", &back));
  ASSERT_EQ(back.entries.size(), 2u);
  EXPECT_EQ(back.entries[1].key, file.entries[1].key);
  EXPECT_EQ(lm::SerializeMetaCache(back), bytes);
  for (size_t size = 0; size < bytes.size(); ++size)
    EXPECT_FALSE(lm::ParseMetaCache(bytes.substr(0, size), "b", "/f", &back)) << size;
  EXPECT_TRUE(back.entries.empty()) << "a refused file leaves nothing behind";

  lm::MetaCacheFile unsorted = file;
  std::swap(unsorted.entries[0], unsorted.entries[1]);
  EXPECT_FALSE(lm::ParseMetaCache(lm::SerializeMetaCache(unsorted), "b", "/f", &back));
  lm::MetaCacheFile slash = file;
  slash.entries[0].name = "../a.so";
  EXPECT_FALSE(lm::ParseMetaCache(lm::SerializeMetaCache(slash), "b", "/f", &back));
  lm::MetaCacheFile bad_record = file;
  bad_record.entries[0].records[0].magic = 0;
  EXPECT_FALSE(lm::ParseMetaCache(lm::SerializeMetaCache(bad_record), "b", "/f", &back));
  lm::MetaCacheFile unterminated = file;
  std::memset(unterminated.entries[0].records[0].name, 'x', LM_META_NAME_MAX);
  EXPECT_FALSE(lm::ParseMetaCache(lm::SerializeMetaCache(unterminated), "b", "/f", &back));
}

TEST_F(MetaCacheTest, AFolderOrFileOthersCanWriteIsNotUsed) {
  const fs::path two = CopyPlugin(plugin::kLedger2, Folder(), "002.so");
  Poison(two, 2, "cached");
  ASSERT_EQ(Hits(two), 1u);

  chmod(CacheDir().c_str(), 0770);
  EXPECT_EQ(Hits(two), 0u) << "group-writable folder";
  EXPECT_NE(NameOf(2), "cached");
  chmod(CacheDir().c_str(), 0700);
  ASSERT_EQ(NameOf(2), "cached") << "the folder was neither used nor written while unsafe";

  chmod(CacheFile().c_str(), 0620);
  EXPECT_EQ(Hits(two), 0u) << "group-writable file";
  chmod(CacheFile().c_str(), 0602);
  EXPECT_EQ(Hits(two), 0u) << "file writable by others";
  EXPECT_NE(NameOf(2), "cached");
  EXPECT_EQ(LStat(CacheFile()).st_mode & 0777, 0600u) << "replaced by a file of the user's own";
}

TEST_F(MetaCacheTest, AFolderOrFileSomeoneElseOwnsIsNotUsed) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to give a file to another user (CI runs the tests as root)";
  const fs::path two = CopyPlugin(plugin::kLedger2, Folder(), "002.so");
  Poison(two, 2, "cached");
  constexpr uid_t kSomeoneElse = 4242;
  ASSERT_EQ(chown(CacheFile().c_str(), kSomeoneElse, kSomeoneElse), 0);
  EXPECT_EQ(Hits(two), 0u) << "file owned by someone else";
  ASSERT_EQ(chown(CacheFile().c_str(), 0, 0), 0);
  ASSERT_EQ(Hits(two), 1u);
  ASSERT_EQ(chown(CacheDir().c_str(), kSomeoneElse, kSomeoneElse), 0);
  EXPECT_EQ(Hits(two), 0u) << "folder owned by someone else";
  EXPECT_NE(NameOf(2), "cached");
  ASSERT_EQ(chown(CacheDir().c_str(), 0, 0), 0);
  EXPECT_EQ(NameOf(2), "cached") << "not rewritten while its folder was someone else's";
}

TEST_F(MetaCacheTest, ALinkInPlaceOfTheCacheFileIsNotFollowed) {
  const fs::path two = CopyPlugin(plugin::kLedger2, Folder(), "002.so");
  Poison(two, 2, "cached");
  const fs::path target = dir_ / "target";
  fs::rename(CacheFile(), target);
  fs::create_symlink(target, CacheFile());
  EXPECT_EQ(Hits(two), 0u);
  EXPECT_NE(NameOf(2), "cached");
  EXPECT_FALSE(fs::is_symlink(CacheFile())) << "replaced by a file";
  EXPECT_THAT(ReadFile(target), HasSubstr("cached")) << "the link's target untouched";
}

TEST_F(MetaCacheTest, NoDirectoryMeansNoCache) {
  CopyPlugin(plugin::kLedger2, Folder(), "002.so");
  std::vector<lm::MigrationSource> sources;
  LM_ASSERT_OK(lm::DiscoverMigrationSources({Folder()}, &sources));
  lm::Catalog catalog;
  LM_ASSERT_OK(lm::LoadCatalog(sources, {}, lm::BundlePolicy{}, lm::MetaCacheOptions{"", Clock()}, &catalog));
  EXPECT_EQ(catalog.migrations().size(), 1u);
  EXPECT_FALSE(fs::exists(CacheDir()));
}

// Sets or unsets environment variables for one test.
class EnvironmentGuard {
 public:
  void Set(const char* name, const char* value) {
    const char* old = std::getenv(name);
    saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
    if (value)
      setenv(name, value, 1);
    else
      unsetenv(name);
  }
  ~EnvironmentGuard() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
      if (it->second)
        setenv(it->first.c_str(), it->second->c_str(), 1);
      else
        unsetenv(it->first.c_str());
    }
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

TEST(MetaCacheDir, FromTheEnvironment) {
  EnvironmentGuard env;
  env.Set("LINK_MIGRATION_CACHE_DIR", nullptr);
  env.Set("XDG_CACHE_HOME", nullptr);
  env.Set("HOME", "/home/ann");
  EXPECT_EQ(lm::MetaCacheDirFromEnvironment(), "/home/ann/.cache/link-migration");
  env.Set("XDG_CACHE_HOME", "relative/cache");
  EXPECT_EQ(lm::MetaCacheDirFromEnvironment(), "/home/ann/.cache/link-migration") << "XDG: absolute paths only";
  env.Set("XDG_CACHE_HOME", "/var/cache/ann");
  EXPECT_EQ(lm::MetaCacheDirFromEnvironment(), "/var/cache/ann/link-migration");
  env.Set("LINK_MIGRATION_CACHE_DIR", "/srv/lm-cache");
  EXPECT_EQ(lm::MetaCacheDirFromEnvironment(), "/srv/lm-cache");
  env.Set("LINK_MIGRATION_CACHE_DIR", "");
  EXPECT_EQ(lm::MetaCacheDirFromEnvironment(), "") << "set to empty: off";
  env.Set("LINK_MIGRATION_CACHE_DIR", nullptr);
  env.Set("XDG_CACHE_HOME", nullptr);
  env.Set("HOME", nullptr);
  EXPECT_EQ(lm::MetaCacheDirFromEnvironment(), "") << "no HOME: no cache";
}

TEST(MetaCacheFileName, StableAndPerFolder) {
  EXPECT_EQ(lm::MetaCacheFileName("/srv/app/migrations"), lm::MetaCacheFileName("/srv/app/migrations"));
  EXPECT_NE(lm::MetaCacheFileName("/srv/app/migrations"), lm::MetaCacheFileName("/srv/app/migration"));
  EXPECT_EQ(lm::MetaCacheFileName(""), "cbf29ce484222325.lmcache") << "FNV-1a 64's offset basis";
}

}  // namespace
}  // namespace lm_test
