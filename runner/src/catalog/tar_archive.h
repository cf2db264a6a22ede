// Reading and writing plain tar archives (POSIX ustar, with pax headers for
// long names): the bundle's container, which anyone can open with `tar`.
#ifndef LINK_MIGRATION_RUNNER_TAR_ARCHIVE_H
#define LINK_MIGRATION_RUNNER_TAR_ARCHIVE_H

#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace lm {

struct TarMember {
  std::string name;
  std::string bytes;
};

// Tar pads its end with zeros up to its record size (10 KiB by default, 1 MiB
// with `tar -b 2048`): a longer tail is not padding.
inline constexpr uint64_t kMaxTarPadding = 1 << 20;

// An archive's bytes where they lie, read piece by piece.
class TarSource {
 public:
  virtual ~TarSource() = default;
  virtual uint64_t size() const = 0;
  // Exactly `count` bytes at `offset` into `out`. Returns an error message,
  // empty on success.
  virtual std::string Read(uint64_t offset, size_t count, char* out) const = 0;
};

// A file, read with pread: only what is asked for is ever in memory.
class TarFile final : public TarSource {
 public:
  TarFile() = default;
  ~TarFile() override;
  TarFile(const TarFile&) = delete;
  TarFile& operator=(const TarFile&) = delete;

  // Opens a regular file. Returns an error message, empty on success.
  std::string Open(const std::filesystem::path& path);
  uint64_t size() const override { return size_; }
  std::string Read(uint64_t offset, size_t count, char* out) const override;

 private:
  int fd_ = -1;
  uint64_t size_ = 0;
};

// Bytes in memory (they must outlive it).
class TarBytes final : public TarSource {
 public:
  explicit TarBytes(std::string_view bytes) : bytes_(bytes) {}
  uint64_t size() const override { return bytes_.size(); }
  std::string Read(uint64_t offset, size_t count, char* out) const override;

 private:
  std::string_view bytes_;
};

// A member: its name and where its bytes lie in the archive.
struct TarEntry {
  std::string name;
  uint64_t size = 0;
  uint64_t data_offset = 0;
};

// Walks an archive member by member, holding one header at a time: a
// member's bytes are read only when asked for, so reading an archive costs
// the memory of the members read, whatever its size.
//
// Only regular files with relative names free of ".." are accepted; a name
// seen twice is an error; no member exceeds 1 GiB. The archive ends at its
// first zero block (or at the end of the file); after it there may be only
// zeros, at most kMaxTarPadding of them: anything else is an error naming
// its byte offset, found without reading more than that.
class TarReader {
 public:
  explicit TarReader(const TarSource& source) : source_(source) {}

  // The next member. False at the end of the archive, with `problem` empty
  // when the archive ended as it should, else saying why it did not.
  bool Next(TarEntry* entry, std::string* problem);
  // The bytes of an entry Next returned. Returns an error message, empty on
  // success.
  std::string ReadData(const TarEntry& entry, std::string* bytes) const;

 private:
  std::string CheckEnd() const;

  const TarSource& source_;
  uint64_t at_ = 0;  // the next header's offset
  bool ended_ = false;
  std::set<std::string> seen_;
};

// Every member with its bytes, in archive order, by TarReader's rules.
// Returns an error message, empty on success.
std::string ReadTar(const std::filesystem::path& path, std::vector<TarMember>* members);
// The same for an archive's bytes in memory.
std::string ParseTar(std::string_view archive, std::vector<TarMember>* members);
// The bytes WriteTar writes.
std::string SerializeTar(const std::vector<TarMember>& members);

// Writes the members as a ustar/pax tar, reproducibly (fixed time, owner, mode),
// through a new file of its own renamed over `path` once complete and synced
// (base/atomic_file.h): no link at any name is followed.
std::string WriteTar(const std::filesystem::path& path, const std::vector<TarMember>& members);

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_TAR_ARCHIVE_H
