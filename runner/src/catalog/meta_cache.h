// A per-folder cache of plugin files' lm_meta records, so that status on an
// unchanged folder costs one lstat per plugin file instead of an open, an
// fstat, three reads, a close and the ELF parsing (docs/operations.md, "The
// plugin metadata cache").
//
// It cannot go stale: an entry is used only when the file's device, inode,
// size, mtime and ctime all equal the fresh lstat's, and an entry is only
// written for a file whose mtime and ctime were at least kMinAge older than
// the wall clock before the file was read, so any later change to the file
// gets another ctime, whatever the file system's timestamp granularity.
// (Users can set mtime, never ctime.)
//
// It is only an optimisation: every failure (no folder, a damaged, foreign
// or unsafe file, a full disk) means a miss, never an error or a message.
#ifndef LINK_MIGRATION_RUNNER_META_CACHE_H
#define LINK_MIGRATION_RUNNER_META_CACHE_H

#include <link_migration/migration.h>
#include <sys/stat.h>
#include <time.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lm {

// The wall clock (CLOCK_REALTIME): a parameter, so tests need not sleep.
using WallClock = std::function<struct timespec()>;
struct timespec SystemWallClock();

// Where a catalog load keeps its folders' caches.
struct MetaCacheOptions {
  std::string dir;                    // empty: no cache
  WallClock clock = SystemWallClock;  // decides which files are old enough to cache
};

// The identity of one version of a file, from its lstat.
struct MetaCacheKey {
  uint64_t dev = 0;
  uint64_t ino = 0;
  uint64_t size = 0;
  int64_t mtime_sec = 0;
  int64_t mtime_nsec = 0;
  int64_t ctime_sec = 0;
  int64_t ctime_nsec = 0;

  static MetaCacheKey Of(const struct stat& info);
  bool operator==(const MetaCacheKey&) const = default;
};

struct MetaCacheEntry {
  std::string name;  // the file's name within the folder: no '/', not empty
  MetaCacheKey key;
  std::vector<lm_meta_record> records;  // at least one, each checked as ReadMeta checks them
};

// The cache file's contents: the entries, ascending by name, unique.
struct MetaCacheFile {
  std::string build;   // the runner that wrote it (MetaCacheBuild())
  std::string folder;  // the migrations folder's absolute path
  std::vector<MetaCacheEntry> entries;
};

// The file format, exposed for the tests and the fuzz target. Parse is
// strict: it returns false (and leaves `file` empty) on anything but a file
// Serialize could have written for this `build` and `folder`.
std::string SerializeMetaCache(const MetaCacheFile& file);
bool ParseMetaCache(std::string_view bytes, const std::string& build, const std::string& folder, MetaCacheFile* file);

// One entry of a parsed cache file, pointing into the file's bytes: a
// thousand entries are read at every start, so none is copied until used.
struct MetaCacheIndexEntry {
  std::string_view name;
  MetaCacheKey key;
  size_t records_at = 0;  // offset of the first record in the file
  uint32_t record_count = 0;
};
// ParseMetaCache's checks, without the copies.
bool IndexMetaCache(std::string_view bytes, const std::string& build, const std::string& folder,
                    std::vector<MetaCacheIndexEntry>* index);

// This runner's version and, when the executable has one, its GNU build id:
// a cache written by any other build is discarded.
const std::string& MetaCacheBuild();

// Where the cache lives, from the environment: $LINK_MIGRATION_CACHE_DIR
// when set (empty: no cache), else $XDG_CACHE_HOME/link-migration when that
// is an absolute path, else $HOME/.cache/link-migration when HOME is one,
// else "" (no cache).
std::string MetaCacheDirFromEnvironment();

// The cache file's name for a folder: a stable 64-bit FNV-1a hash of its
// absolute path, in hex, plus ".lmcache".
std::string MetaCacheFileName(const std::string& folder);

// One folder's cache for one run. Not thread-safe.
class MetaCache {
 public:
  // A file this new (mtime or ctime within kMinAge of the clock) is not written.
  static constexpr int64_t kMinAgeSeconds = 3;

  // `cache_dir` empty: a cache that never hits and never writes. `folder`
  // must be absolute. Reads the cache file when it and `cache_dir` are owned
  // by the effective user and writable by no one else.
  MetaCache(std::string cache_dir, std::string folder, WallClock clock = SystemWallClock);
  MetaCache(const MetaCache&) = delete;
  MetaCache& operator=(const MetaCache&) = delete;

  // True when `name`'s entry has `info`'s key. `records` then views the
  // records kept for it where the cache holds them (valid until Save; a
  // library of ten thousand migrations has 2 MiB of them), or in `scratch`
  // should the cache's bytes not be aligned for them.
  bool Find(std::string_view name, const struct stat& info, std::vector<lm_meta_record>* scratch,
            std::span<const lm_meta_record>* records);
  // A file read just now, `info` being the stat of the open file whose bytes
  // gave `records` (at least one).
  void Offer(std::string_view name, const struct stat& info, const std::vector<lm_meta_record>& records);
  // When the entries to keep differ from those read (a file is new, changed or
  // gone, or the cache file was unusable), writes them: a temporary file, then
  // a rename over the old. Best effort. Call once, after the whole folder.
  void Save();

  // False when Find cannot hit: no cache, or nothing read from it.
  bool has_entries() const { return !loaded_.empty(); }

  // For the tests.
  size_t hits() const { return hits_; }
  bool enabled() const { return !cache_dir_.empty(); }
  const std::string& path() const { return path_; }

 private:
  void Read();

  std::string cache_dir_;
  std::string folder_;
  std::string path_;  // the cache file; empty when there is no cache
  WallClock clock_;
  struct timespec now_ {};  // read once, before any file of the folder
  std::unique_ptr<char[]> buffer_;  // the cache file as read
  std::string_view bytes_;          // its bytes, in buffer_
  std::vector<MetaCacheIndexEntry> loaded_;
  std::vector<bool> used_;  // per loaded entry: found again unchanged
  size_t cursor_ = 0;       // files arrive in name order: the next entry to try
  std::vector<MetaCacheEntry> fresh_;
  bool rewrite_ = false;  // the file on disk exists but could not be used
  size_t hits_ = 0;
};

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_META_CACHE_H
