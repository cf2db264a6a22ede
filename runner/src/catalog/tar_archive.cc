#include "catalog/tar_archive.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <string_view>

#include "base/atomic_file.h"

// The format is POSIX ustar with pax extended headers (POSIX.1-2001), the
// subset a bundle needs. It is written here rather than taken from
// libarchive because every run of the runner would otherwise map libarchive
// and the dozen libraries behind it (ICU, libxml2, compressors): milliseconds
// on each start, for a format of a few fixed-width fields.

namespace lm {
namespace {

constexpr size_t kBlock = 512;
constexpr uint64_t kMaxMemberSize = uint64_t{1} << 30;  // a plugin larger than 1 GiB is not one
// A pax header or GNU long name holds a path and a size: a few hundred bytes.
constexpr uint64_t kMaxNameHeaderSize = 64 << 10;

// Field offsets and widths of a ustar header.
struct Field {
  size_t at;
  size_t width;
};
constexpr Field kName{0, 100}, kMode{100, 8}, kUid{108, 8}, kGid{116, 8}, kSize{124, 12}, kMtime{136, 12},
    kChecksum{148, 8}, kMagic{257, 6}, kVersion{263, 2}, kPrefix{345, 155};
constexpr size_t kTypeflag = 156;

uint64_t Padded(uint64_t size) { return (size + kBlock - 1) / kBlock * kBlock; }

bool SafeName(const std::string& name) {
  if (name.empty() || name.front() == '/' || name.find('\0') != std::string::npos) return false;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string::npos) end = name.size();
    if (name.compare(start, end - start, "..") == 0 && end - start == 2) return false;
    start = end + 1;
  }
  return true;
}

// A NUL-terminated (or full-width) text field.
std::string Text(const char* header, Field field) {
  const char* begin = header + field.at;
  return std::string(begin, strnlen(begin, field.width));
}

// An octal number field, leading spaces and trailing NULs or spaces allowed.
bool Octal(const char* header, Field field, uint64_t* value) {
  std::string_view text(header + field.at, field.width);
  size_t i = text.find_first_not_of(' ');
  if (i == std::string_view::npos) return false;
  uint64_t result = 0;
  size_t digits = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '7'; ++i, ++digits) {
    if (result > (UINT64_MAX >> 3)) return false;
    result = result * 8 + static_cast<uint64_t>(text[i] - '0');
  }
  for (; i < text.size(); ++i)
    if (text[i] != '\0' && text[i] != ' ') return false;
  *value = result;
  return digits > 0;
}

bool ChecksumMatches(const char* header) {
  uint64_t stored = 0;
  if (!Octal(header, kChecksum, &stored)) return false;
  uint64_t sum = 0;
  for (size_t i = 0; i < kBlock; ++i) {
    const bool in_field = i >= kChecksum.at && i < kChecksum.at + kChecksum.width;
    sum += in_field ? ' ' : static_cast<unsigned char>(header[i]);
  }
  return sum == stored;
}

bool AllZero(const char* block) {
  return std::all_of(block, block + kBlock, [](char c) { return c == '\0'; });
}

// What a pax or GNU long-name header says of the member after it.
struct NextMember {
  std::string name;
  bool has_size = false;
  uint64_t size = 0;
  bool empty() const { return name.empty() && !has_size; }
};

// The "path" and "size" records of a pax extended header: "LEN key=value\n"...
bool ParsePax(std::string_view data, NextMember* next) {
  while (!data.empty()) {
    size_t space = data.find(' ');
    if (space == std::string_view::npos || space == 0) return false;
    size_t length = 0;
    for (char c : data.substr(0, space)) {
      if (c < '0' || c > '9' || length > data.size()) return false;
      length = length * 10 + static_cast<size_t>(c - '0');
    }
    if (length <= space + 1 || length > data.size() || data[length - 1] != '\n') return false;
    std::string_view record = data.substr(space + 1, length - space - 2);
    data.remove_prefix(length);
    size_t equals = record.find('=');
    if (equals == std::string_view::npos) return false;
    std::string_view key = record.substr(0, equals), value = record.substr(equals + 1);
    if (key == "path") {
      next->name = std::string(value);
    } else if (key == "size") {
      uint64_t parsed = 0;
      if (value.empty() || value.size() > 19) return false;
      for (char c : value) {
        if (c < '0' || c > '9') return false;
        parsed = parsed * 10 + static_cast<uint64_t>(c - '0');
      }
      next->size = parsed;
      next->has_size = true;
    }
  }
  return true;
}

void PutText(char* header, Field field, std::string_view text) {
  std::memcpy(header + field.at, text.data(), std::min(text.size(), field.width));
}

void PutOctal(char* header, Field field, uint64_t value) {
  // width - 1 digits and a NUL, as POSIX has it.
  for (size_t i = field.width - 1; i-- > 0; value >>= 3) header[field.at + i] = static_cast<char>('0' + (value & 7));
}

// One header block; `name` must fit in ustar's name and prefix fields.
std::string Header(std::string_view name, uint64_t size, char type) {
  std::string header(kBlock, '\0');
  char* block = header.data();
  if (name.size() <= kName.width) {
    PutText(block, kName, name);
  } else {
    const size_t slash = name.rfind('/', kPrefix.width);
    PutText(block, kPrefix, name.substr(0, slash));
    PutText(block, kName, name.substr(slash + 1));
  }
  PutOctal(block, kMode, 0644);
  PutOctal(block, kUid, 0);
  PutOctal(block, kGid, 0);
  PutOctal(block, kSize, size);
  PutOctal(block, kMtime, 0);
  block[kTypeflag] = type;
  PutText(block, kMagic, std::string_view("ustar\0", 6));
  PutText(block, kVersion, "00");
  std::memset(block + kChecksum.at, ' ', kChecksum.width);
  unsigned sum = 0;
  for (char c : header) sum += static_cast<unsigned char>(c);
  PutOctal(block, Field{kChecksum.at, kChecksum.width - 1}, sum);  // six digits, NUL, space
  block[kChecksum.at + kChecksum.width - 1] = ' ';
  return header;
}

bool FitsUstar(std::string_view name) {
  if (name.size() <= kName.width) return true;
  const size_t slash = name.rfind('/', kPrefix.width);
  return slash != std::string_view::npos && slash > 0 && name.size() - slash - 1 <= kName.width;
}

// A pax "LEN path=NAME\n" record: LEN counts its own digits.
std::string PaxPathRecord(const std::string& name) {
  const std::string body = " path=" + name + "\n";
  size_t length = body.size() + 1;
  while (std::to_string(length).size() + body.size() != length) ++length;
  return std::to_string(length) + body;
}

void AppendMember(std::string* out, const std::string& name, const std::string& bytes, char type) {
  *out += Header(name, bytes.size(), type);
  *out += bytes;
  out->append(Padded(bytes.size()) - bytes.size(), '\0');
}

}  // namespace

TarFile::~TarFile() {
  if (fd_ >= 0) close(fd_);
}

std::string TarFile::Open(const std::filesystem::path& path) {
  fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) return std::string("cannot open as a tar archive: ") + std::strerror(errno);
  struct stat info {};
  if (fstat(fd_, &info) != 0 || !S_ISREG(info.st_mode)) return "cannot open as a tar archive: not a regular file";
  size_ = static_cast<uint64_t>(info.st_size);
  return "";
}

std::string TarFile::Read(uint64_t offset, size_t count, char* out) const {
  for (size_t done = 0; done < count;) {
    const ssize_t got = pread(fd_, out + done, count - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return std::string("cannot read: ") + (got < 0 ? std::strerror(errno) : "the file shrank");
    done += static_cast<size_t>(got);
  }
  return "";
}

std::string TarBytes::Read(uint64_t offset, size_t count, char* out) const {
  if (offset > bytes_.size() || count > bytes_.size() - offset) return "cannot read: past the end";
  std::memcpy(out, bytes_.data() + offset, count);
  return "";
}

bool TarReader::Next(TarEntry* entry, std::string* problem) {
  problem->clear();
  if (ended_) return false;
  ended_ = true;  // until a member is found
  NextMember next;
  const uint64_t size_of_archive = source_.size();
  char header[kBlock];
  for (;;) {
    if (size_of_archive - at_ < kBlock) {
      if (at_ != size_of_archive || at_ == 0 || !next.empty()) *problem = "damaged archive: truncated header";
      return false;
    }
    *problem = source_.Read(at_, kBlock, header);
    if (!problem->empty()) return false;
    if (AllZero(header)) {
      *problem = next.empty() ? CheckEnd() : "damaged archive: a header without its member";
      return false;
    }
    if (!ChecksumMatches(header)) {
      *problem = "damaged archive: header checksum mismatch at byte " + std::to_string(at_);
      return false;
    }
    uint64_t size = 0;
    if (!Octal(header, kSize, &size)) {
      *problem = "damaged archive: bad size field at byte " + std::to_string(at_);
      return false;
    }
    const char type = header[kTypeflag];
    const bool ustar = std::memcmp(header + kMagic.at, "ustar", 5) == 0;
    std::string name = Text(header, kName);
    if (ustar && header[kPrefix.at] != '\0') name = Text(header, kPrefix).append("/").append(name);
    if (type == '0' || type == '\0') {
      if (!next.name.empty()) name = next.name;
      if (next.has_size) size = next.size;
    }
    if (size > kMaxMemberSize) {
      *problem = "member '" + name + "' has an impossible size";
      return false;
    }
    at_ += kBlock;
    // Its padding too: an archive cut inside it would let bytes appended
    // later pass as padding rather than as data after the end.
    if (size_of_archive - at_ < Padded(size)) {
      *problem = "member '" + name + "' is truncated";
      return false;
    }
    const uint64_t data_at = at_;
    at_ += Padded(size);
    if (type == 'x' || type == 'L') {  // a pax header, or GNU tar's long name: a few records
      if (size > kMaxNameHeaderSize) {
        *problem = "damaged archive: a " + std::to_string(size) + "-byte extended header at byte " +
                   std::to_string(data_at - kBlock);
        return false;
      }
      std::string data(static_cast<size_t>(size), '\0');
      *problem = source_.Read(data_at, data.size(), data.data());
      if (!problem->empty()) return false;
      if (type == 'L') {
        next.name = data.substr(0, data.find('\0'));
      } else if (!ParsePax(data, &next)) {
        *problem = "damaged archive: bad pax header for the next member";
        return false;
      }
      continue;
    }
    if (type == 'g') continue;  // pax global header: nothing a bundle uses
    if (type != '0' && type != '\0') {
      *problem = "member '" + name + "' is not a regular file";
    } else if (!SafeName(name)) {
      *problem = "member '" + name + "' has an unsafe name";
    } else if (!seen_.insert(name).second) {
      *problem = "member '" + name + "' appears twice";
    }
    if (!problem->empty()) return false;
    *entry = TarEntry{std::move(name), size, data_at};
    ended_ = false;
    return true;
  }
}

std::string TarReader::ReadData(const TarEntry& entry, std::string* bytes) const {
  bytes->assign(static_cast<size_t>(entry.size), '\0');
  return source_.Read(entry.data_offset, bytes->size(), bytes->data());
}

// The archive ends with the zero block at at_. What follows may be only more
// zeros (the second end block, and the padding tar writes up to its record
// size): anything else, a whole member included, is not part of the archive,
// and a reader that ignored it would vouch for bytes nobody checked. Padding
// is never more than a record, so a longer tail is refused unread: checking
// gigabytes of zeros would cost what the limits are there to prevent.
std::string TarReader::CheckEnd() const {
  const uint64_t tail = source_.size() - at_;
  if (tail > kMaxTarPadding)
    return "damaged archive: " + std::to_string(tail) + " bytes after the end of the archive at byte " +
           std::to_string(at_) + " (tar pads with at most " + std::to_string(kMaxTarPadding) + " bytes)";
  std::string chunk(static_cast<size_t>(tail), '\0');
  std::string problem = source_.Read(at_, chunk.size(), chunk.data());
  if (!problem.empty()) return problem;
  const size_t junk = chunk.find_first_not_of('\0');
  if (junk == std::string::npos) return "";
  return "damaged archive: data after the end of the archive at byte " + std::to_string(at_ + junk);
}

std::string ReadTarMembers(const TarSource& source, std::vector<TarMember>* members) {
  TarReader reader(source);
  TarEntry entry;
  std::string problem;
  while (reader.Next(&entry, &problem)) {
    TarMember& member = members->emplace_back();
    member.name = std::move(entry.name);
    problem = reader.ReadData(entry, &member.bytes);
    if (!problem.empty()) return problem;
  }
  return problem;
}

std::string ReadTar(const std::filesystem::path& path, std::vector<TarMember>* members) {
  TarFile file;
  std::string problem = file.Open(path);
  if (!problem.empty()) return problem;
  return ReadTarMembers(file, members);
}

std::string ParseTar(std::string_view archive, std::vector<TarMember>* members) {
  return ReadTarMembers(TarBytes(archive), members);
}

std::string SerializeTar(const std::vector<TarMember>& members) {
  std::string archive;
  for (const TarMember& member : members) {
    if (!FitsUstar(member.name))
      AppendMember(&archive, "PaxHeaders/" + std::filesystem::path(member.name).filename().string().substr(0, 80),
                   PaxPathRecord(member.name), 'x');
    AppendMember(&archive, FitsUstar(member.name) ? member.name : member.name.substr(member.name.size() - 100),
                 member.bytes, '0');
  }
  archive.append(2 * kBlock, '\0');
  // Tar's own record size is 10 KiB: the end is padded to it, as tar writes it.
  constexpr size_t kRecord = 20 * kBlock;
  if (archive.size() % kRecord != 0) archive.append(kRecord - archive.size() % kRecord, '\0');
  return archive;
}

std::string WriteTar(const std::filesystem::path& path, const std::vector<TarMember>& members) {
  return WriteFileAtomically(path.native(), SerializeTar(members));
}

}  // namespace lm
