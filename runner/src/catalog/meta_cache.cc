#include "catalog/meta_cache.h"

#include <fcntl.h>
#include <link.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>

namespace lm {
namespace {

// Host byte order: a cache file never leaves the machine that wrote it, and
// on one of the other order the version below reads wrong, so it is ignored.
constexpr char kMagic[8] = {'L', 'M', 'C', 'A', 'C', 'H', 'E', '\0'};
constexpr uint32_t kFormatVersion = 1;
// A cache for a folder of 100,000 plugin files is about 30 MiB.
constexpr uint64_t kMaxFileBytes = uint64_t{256} << 20;
constexpr uint32_t kMaxNameBytes = 255;  // NAME_MAX on Linux

struct Header {
  char magic[8];
  uint32_t format_version;
  uint32_t build_size;
  uint32_t folder_size;
  uint32_t entry_count;
  uint64_t checksum;  // of everything after the header
};
static_assert(sizeof(Header) == 32);

struct EntryHead {
  uint32_t name_size;
  uint32_t record_count;
  uint64_t dev;
  uint64_t ino;
  uint64_t size;
  int64_t mtime_sec;
  int64_t mtime_nsec;
  int64_t ctime_sec;
  int64_t ctime_nsec;
};
static_assert(sizeof(EntryHead) == 64);
static_assert(sizeof(lm_meta_record) % 8 == 0);

size_t Padded(size_t size) { return (size + 7) & ~size_t{7}; }

// Detects a damaged file, not an attacker (the folder is the user's alone).
// Each step is a bijection of the running value, so any change confined to
// one 8-byte word always changes the result.
uint64_t Checksum(std::string_view bytes) {
  uint64_t hash = 0x9e3779b97f4a7c15ull ^ bytes.size();
  size_t at = 0;
  for (; at + 8 <= bytes.size(); at += 8) {
    uint64_t word;
    std::memcpy(&word, bytes.data() + at, 8);
    hash = (hash ^ word) * 0x100000001b3ull;
    hash = (hash << 29) | (hash >> 35);
  }
  uint64_t tail = 0;
  std::memcpy(&tail, bytes.data() + at, bytes.size() - at);
  hash = (hash ^ tail) * 0x100000001b3ull;
  return hash ^ (hash >> 32);
}

void Append(std::string* out, const void* data, size_t size) {
  out->append(static_cast<const char*>(data), size);
  out->append(Padded(size) - size, '\0');
}

// Reads bytes in order, each read checked against the end.
class Cursor {
 public:
  explicit Cursor(std::string_view bytes) : bytes_(bytes) {}
  bool Take(void* into, size_t size) {
    if (size > bytes_.size() - at_) return false;
    std::memcpy(into, bytes_.data() + at_, size);
    at_ += size;
    return true;
  }
  // `size` bytes, then zero padding up to the next multiple of 8.
  bool TakeText(size_t size, std::string_view* into) {
    const size_t padded = Padded(size);
    if (padded < size || padded > bytes_.size() - at_) return false;
    *into = bytes_.substr(at_, size);
    for (size_t i = size; i < padded; ++i)
      if (bytes_[at_ + i] != '\0') return false;
    at_ += padded;
    return true;
  }
  bool Skip(size_t size) {
    if (size > bytes_.size() - at_) return false;
    at_ += size;
    return true;
  }
  size_t at() const { return at_; }
  bool AtEnd() const { return at_ == bytes_.size(); }
  size_t left() const { return bytes_.size() - at_; }

 private:
  std::string_view bytes_;
  size_t at_ = 0;
};

bool ValidName(std::string_view name) {
  return !name.empty() && name.size() <= kMaxNameBytes && name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos && name != "." && name != "..";
}

// As library_file.cc's ReadMeta leaves a record it keeps.
bool ValidRecord(const lm_meta_record& record) {
  return record.magic == LM_META_MAGIC && record.struct_size == sizeof(lm_meta_record) &&
         record.name[LM_META_NAME_MAX - 1] == '\0' && record.name[0] != '\0' &&
         record.checksum[LM_META_CHECKSUM_MAX - 1] == '\0';
}

bool ValidNanoseconds(int64_t nsec) { return nsec >= 0 && nsec < 1000000000; }

// `a` + seconds <= `b`, without overflow.
bool AtLeastSecondsBefore(int64_t a_sec, int64_t a_nsec, int64_t seconds, const struct timespec& b) {
  if (a_sec > std::numeric_limits<int64_t>::max() - seconds) return false;
  const int64_t sec = a_sec + seconds;
  return sec < b.tv_sec || (sec == b.tv_sec && a_nsec <= b.tv_nsec);
}

// Only the user may have written what decides what status reports.
bool OwnedAndPrivate(const struct stat& info) {
  return info.st_uid == geteuid() && (info.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

// A folder the cache may live in, open; -1 when there is none (`*missing`)
// or it is unsafe.
int OpenCacheFolder(const std::string& folder, bool* missing) {
  const int fd = open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  *missing = fd < 0 && errno == ENOENT;
  if (fd < 0) return -1;
  struct stat info {};
  if (fstat(fd, &info) != 0 || !S_ISDIR(info.st_mode) || !OwnedAndPrivate(info)) {
    close(fd);
    return -1;
  }
  return fd;
}

// mkdir -p, each new folder 0700 (as the XDG base directory spec asks).
void MakeFolders(const std::string& folder) {
  if (folder.empty() || mkdir(folder.c_str(), 0700) == 0 || errno == EEXIST) return;
  if (errno != ENOENT) return;
  const size_t slash = folder.rfind('/');
  if (slash == std::string::npos || slash == 0) return;
  MakeFolders(folder.substr(0, slash));
  mkdir(folder.c_str(), 0700);
}

// Into a buffer not zeroed first: a cache of a thousand files is 200 KiB.
bool ReadAll(int fd, size_t size, std::unique_ptr<char[]>* buffer) {
  *buffer = std::make_unique_for_overwrite<char[]>(size);
  size_t at = 0;
  while (at < size) {
    const ssize_t got = read(fd, buffer->get() + at, size - at);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    at += static_cast<size_t>(got);
  }
  return true;
}

bool WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t put = write(fd, bytes.data(), bytes.size());
    if (put < 0 && errno == EINTR) continue;
    if (put <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(put));
  }
  return true;
}

// The main program's NT_GNU_BUILD_ID note, as hex; "" without one. Read from
// memory, so it costs no system call.
int FindBuildId(struct dl_phdr_info* info, size_t, void* data) {
  auto* hex = static_cast<std::string*>(data);
  // The notes' addresses, from the program headers' own (PT_PHDR): both are
  // mapped with the object, at the same offset from where it was loaded.
  const ElfW(Phdr)* headers = nullptr;
  for (int i = 0; i < info->dlpi_phnum; ++i)
    if (info->dlpi_phdr[i].p_type == PT_PHDR) headers = &info->dlpi_phdr[i];
  if (headers == nullptr) return 1;
  const auto* first = reinterpret_cast<const char*>(info->dlpi_phdr);
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& segment = info->dlpi_phdr[i];
    if (segment.p_type != PT_NOTE) continue;
    const char* at = first + (static_cast<ptrdiff_t>(segment.p_vaddr) - static_cast<ptrdiff_t>(headers->p_vaddr));
    const char* end = at + segment.p_memsz;
    while (static_cast<size_t>(end - at) >= sizeof(ElfW(Nhdr))) {
      ElfW(Nhdr) note;
      std::memcpy(&note, at, sizeof(note));
      const char* name = at + sizeof(note);
      const char* desc = name + ((note.n_namesz + 3) & ~3u);
      const char* next = desc + ((note.n_descsz + 3) & ~3u);
      if (next > end || next < desc) break;
      if (note.n_type == NT_GNU_BUILD_ID && note.n_namesz == 4 && std::memcmp(name, "GNU", 4) == 0) {
        static constexpr char kDigits[] = "0123456789abcdef";
        for (uint32_t b = 0; b < note.n_descsz; ++b) {
          const auto byte = static_cast<unsigned char>(desc[b]);
          hex->push_back(kDigits[byte >> 4]);
          hex->push_back(kDigits[byte & 15]);
        }
        return 1;
      }
      at = next;
    }
  }
  return 1;  // the first object is the main program: stop there
}

}  // namespace

struct timespec SystemWallClock() {
  struct timespec now {};
  clock_gettime(CLOCK_REALTIME, &now);
  return now;
}

MetaCacheKey MetaCacheKey::Of(const struct stat& info) {
  MetaCacheKey key;
  key.dev = static_cast<uint64_t>(info.st_dev);
  key.ino = static_cast<uint64_t>(info.st_ino);
  key.size = static_cast<uint64_t>(info.st_size);
  key.mtime_sec = info.st_mtim.tv_sec;
  key.mtime_nsec = info.st_mtim.tv_nsec;
  key.ctime_sec = info.st_ctim.tv_sec;
  key.ctime_nsec = info.st_ctim.tv_nsec;
  return key;
}

std::string SerializeMetaCache(const MetaCacheFile& file) {
  std::string body;
  Append(&body, file.build.data(), file.build.size());
  Append(&body, file.folder.data(), file.folder.size());
  for (const MetaCacheEntry& entry : file.entries) {
    const EntryHead head{static_cast<uint32_t>(entry.name.size()),
                         static_cast<uint32_t>(entry.records.size()),
                         entry.key.dev,
                         entry.key.ino,
                         entry.key.size,
                         entry.key.mtime_sec,
                         entry.key.mtime_nsec,
                         entry.key.ctime_sec,
                         entry.key.ctime_nsec};
    Append(&body, &head, sizeof(head));
    Append(&body, entry.name.data(), entry.name.size());
    Append(&body, entry.records.data(), entry.records.size() * sizeof(lm_meta_record));
  }
  Header header{};
  std::memcpy(header.magic, kMagic, sizeof(kMagic));
  header.format_version = kFormatVersion;
  header.build_size = static_cast<uint32_t>(file.build.size());
  header.folder_size = static_cast<uint32_t>(file.folder.size());
  header.entry_count = static_cast<uint32_t>(file.entries.size());
  header.checksum = Checksum(body);
  std::string out(reinterpret_cast<const char*>(&header), sizeof(header));
  return out + body;
}

bool IndexMetaCache(std::string_view bytes, const std::string& build, const std::string& folder,
                    std::vector<MetaCacheIndexEntry>* index) {
  index->clear();
  Header header{};
  Cursor in(bytes);
  if (!in.Take(&header, sizeof(header)) || std::memcmp(header.magic, kMagic, sizeof(kMagic)) != 0 ||
      header.format_version != kFormatVersion || header.build_size != build.size() ||
      header.folder_size != folder.size() || header.checksum != Checksum(bytes.substr(sizeof(header))))
    return false;
  std::string_view text;
  if (!in.TakeText(header.build_size, &text) || text != build) return false;
  if (!in.TakeText(header.folder_size, &text) || text != folder) return false;
  // Each entry takes at least its head, a name and a record.
  if (header.entry_count > in.left() / (sizeof(EntryHead) + 8 + sizeof(lm_meta_record))) return false;
  std::vector<MetaCacheIndexEntry> parsed(header.entry_count);
  for (MetaCacheIndexEntry& entry : parsed) {
    EntryHead head{};
    if (!in.Take(&head, sizeof(head)) || head.name_size > kMaxNameBytes || head.record_count == 0 ||
        !ValidNanoseconds(head.mtime_nsec) || !ValidNanoseconds(head.ctime_nsec) ||
        !in.TakeText(head.name_size, &entry.name) || !ValidName(entry.name))
      return false;
    if (&entry != parsed.data() && !((&entry - 1)->name < entry.name)) return false;
    if (head.record_count > in.left() / sizeof(lm_meta_record)) return false;
    entry.key = {head.dev, head.ino, head.size, head.mtime_sec, head.mtime_nsec, head.ctime_sec, head.ctime_nsec};
    entry.records_at = in.at();
    entry.record_count = head.record_count;
    for (uint32_t r = 0; r < head.record_count; ++r) {
      lm_meta_record record;
      if (!in.Take(&record, sizeof(record)) || !ValidRecord(record)) return false;
    }
  }
  if (!in.AtEnd()) return false;
  *index = std::move(parsed);
  return true;
}

namespace {

std::vector<lm_meta_record> RecordsOf(std::string_view bytes, const MetaCacheIndexEntry& entry) {
  std::vector<lm_meta_record> records(entry.record_count);
  std::memcpy(records.data(), bytes.data() + entry.records_at, records.size() * sizeof(lm_meta_record));
  return records;
}

}  // namespace

bool ParseMetaCache(std::string_view bytes, const std::string& build, const std::string& folder, MetaCacheFile* file) {
  *file = MetaCacheFile{};
  std::vector<MetaCacheIndexEntry> index;
  if (!IndexMetaCache(bytes, build, folder, &index)) return false;
  file->build = build;
  file->folder = folder;
  for (const MetaCacheIndexEntry& entry : index)
    file->entries.push_back({std::string(entry.name), entry.key, RecordsOf(bytes, entry)});
  return true;
}

const std::string& MetaCacheBuild() {
  static const std::string build = [] {
    std::string id;
    dl_iterate_phdr(FindBuildId, &id);
    return std::string(LM_RUNNER_VERSION) + (id.empty() ? "" : " build " + id);
  }();
  return build;
}

std::string MetaCacheDirFromEnvironment() {
  auto absolute = [](const char* value) { return value != nullptr && value[0] == '/'; };
  if (const char* chosen = std::getenv("LINK_MIGRATION_CACHE_DIR")) return absolute(chosen) ? chosen : "";
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); absolute(xdg)) return std::string(xdg) + "/link-migration";
  if (const char* home = std::getenv("HOME"); absolute(home)) return std::string(home) + "/.cache/link-migration";
  return "";
}

std::string MetaCacheFileName(const std::string& folder) {
  uint64_t hash = 0xcbf29ce484222325ull;  // FNV-1a, 64 bits
  for (const char c : folder) hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  char name[32];
  std::snprintf(name, sizeof(name), "%016llx.lmcache", static_cast<unsigned long long>(hash));
  return name;
}

MetaCache::MetaCache(std::string cache_dir, std::string folder, WallClock clock)
    : cache_dir_(std::move(cache_dir)), folder_(std::move(folder)), clock_(std::move(clock)) {
  if (cache_dir_.empty() || cache_dir_.front() != '/' || folder_.empty() || folder_.front() != '/') {
    cache_dir_.clear();
    return;
  }
  path_ = cache_dir_ + "/" + MetaCacheFileName(folder_);
  Read();
  // Before any file of the folder is looked at: an entry is written only for
  // a file at least kMinAgeSeconds older than this.
  now_ = clock_();
}

void MetaCache::Read() {
  bool missing = false;
  const int folder = OpenCacheFolder(cache_dir_, &missing);
  if (folder < 0) {
    // Missing: Save makes it. Present but someone else's or writable by
    // others: not used at all, not even written.
    if (!missing) {
      cache_dir_.clear();
      path_.clear();
    }
    return;
  }
  const std::string name = path_.substr(cache_dir_.size() + 1);
  const int fd = openat(folder, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  close(folder);
  if (fd < 0) {
    rewrite_ = errno != ENOENT;  // a link, say: replaced by a file of ours
    return;
  }
  struct stat info {};
  bool usable = fstat(fd, &info) == 0 && S_ISREG(info.st_mode) && OwnedAndPrivate(info) &&
                static_cast<uint64_t>(info.st_size) <= kMaxFileBytes &&
                ReadAll(fd, static_cast<size_t>(info.st_size), &buffer_);
  close(fd);
  if (usable) {
    bytes_ = std::string_view(buffer_.get(), static_cast<size_t>(info.st_size));
    usable = IndexMetaCache(bytes_, MetaCacheBuild(), folder_, &loaded_);
  }
  rewrite_ = !usable;
  used_.assign(loaded_.size(), false);
}

bool MetaCache::Find(std::string_view name, const struct stat& info, std::vector<lm_meta_record>* scratch,
                     std::span<const lm_meta_record>* records) {
  if (loaded_.empty()) return false;
  size_t index = cursor_;
  if (index >= loaded_.size() || loaded_[index].name != name) {
    auto found = std::lower_bound(loaded_.begin(), loaded_.end(), name,
                                  [](const MetaCacheIndexEntry& entry, std::string_view n) { return entry.name < n; });
    if (found == loaded_.end() || found->name != name) return false;
    index = static_cast<size_t>(found - loaded_.begin());
  }
  cursor_ = index + 1;
  const MetaCacheIndexEntry& entry = loaded_[index];
  if (!(entry.key == MetaCacheKey::Of(info))) return false;
  used_[index] = true;
  ++hits_;
  const char* kept = bytes_.data() + entry.records_at;
  if (reinterpret_cast<uintptr_t>(kept) % alignof(lm_meta_record) == 0) {
    *records = {reinterpret_cast<const lm_meta_record*>(kept), entry.record_count};
  } else {
    scratch->resize(entry.record_count);
    std::memcpy(scratch->data(), kept, scratch->size() * sizeof(lm_meta_record));
    *records = *scratch;
  }
  return true;
}

void MetaCache::Offer(std::string_view name, const struct stat& info, const std::vector<lm_meta_record>& records) {
  if (!enabled() || records.empty()) return;
  MetaCacheEntry entry{std::string(name), MetaCacheKey::Of(info), records};
  if (!ValidName(entry.name)) return;
  for (const lm_meta_record& record : records)
    if (!ValidRecord(record)) return;
  // Racy timestamps: a file changed again within its timestamps' granularity
  // could keep them. One at least kMinAgeSeconds old before we read it gets
  // a later ctime from any change after that.
  if (!AtLeastSecondsBefore(entry.key.mtime_sec, entry.key.mtime_nsec, kMinAgeSeconds, now_) ||
      !AtLeastSecondsBefore(entry.key.ctime_sec, entry.key.ctime_nsec, kMinAgeSeconds, now_))
    return;
  fresh_.push_back(std::move(entry));
}

void MetaCache::Save() {
  if (!enabled()) return;
  const bool dropped = std::find(used_.begin(), used_.end(), false) != used_.end();
  if (!rewrite_ && !dropped && fresh_.empty()) return;

  MetaCacheFile file;
  file.build = MetaCacheBuild();
  file.folder = folder_;
  for (size_t i = 0; i < loaded_.size(); ++i)
    if (used_[i]) file.entries.push_back({std::string(loaded_[i].name), loaded_[i].key, RecordsOf(bytes_, loaded_[i])});
  for (MetaCacheEntry& entry : fresh_) file.entries.push_back(std::move(entry));
  fresh_.clear();
  loaded_.clear();
  used_.clear();
  bytes_ = {};
  buffer_.reset();
  std::stable_sort(file.entries.begin(), file.entries.end(),
                   [](const MetaCacheEntry& a, const MetaCacheEntry& b) { return a.name < b.name; });
  file.entries.erase(std::unique(file.entries.begin(), file.entries.end(),
                                 [](const MetaCacheEntry& a, const MetaCacheEntry& b) { return a.name == b.name; }),
                     file.entries.end());

  MakeFolders(cache_dir_);
  bool missing = false;
  const int folder = OpenCacheFolder(cache_dir_, &missing);
  if (folder < 0) return;
  const std::string name = path_.substr(cache_dir_.size() + 1);
  if (file.entries.empty()) {
    unlinkat(folder, name.c_str(), 0);
  } else {
    // No fsync: a crash can leave the cache empty or missing, which is only a
    // miss. O_EXCL and a name of our own: another runner's temporary file is
    // never touched; the last rename wins, and every one is a whole file.
    const struct timespec stamp = SystemWallClock();
    const std::string temporary =
        "." + name + "." + std::to_string(getpid()) + "." + std::to_string(stamp.tv_nsec) + ".tmp";
    const int fd = openat(folder, temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) {
      const bool written = WriteAll(fd, SerializeMetaCache(file));
      const bool closed = close(fd) == 0;
      if (!written || !closed || renameat(folder, temporary.c_str(), folder, name.c_str()) != 0)
        unlinkat(folder, temporary.c_str(), 0);
    }
  }
  close(folder);
  rewrite_ = false;
}

}  // namespace lm
