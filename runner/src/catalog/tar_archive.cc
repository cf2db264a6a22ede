#include "catalog/tar_archive.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <string_view>

// The format is POSIX ustar with pax extended headers (POSIX.1-2001), the
// subset a bundle needs. It is written here rather than taken from
// libarchive because every run of the runner would otherwise map libarchive
// and the dozen libraries behind it (ICU, libxml2, compressors): milliseconds
// on each start, for a format of a few fixed-width fields.

namespace lm {
namespace {

constexpr size_t kBlock = 512;
constexpr uint64_t kMaxMemberSize = uint64_t{1} << 30;  // a plugin larger than 1 GiB is not one

// Field offsets and widths of a ustar header.
struct Field {
  size_t at;
  size_t width;
};
constexpr Field kName{0, 100}, kMode{100, 8}, kUid{108, 8}, kGid{116, 8}, kSize{124, 12}, kMtime{136, 12},
    kChecksum{148, 8}, kMagic{257, 6}, kVersion{263, 2}, kPrefix{345, 155};
constexpr size_t kTypeflag = 156;

size_t Padded(uint64_t size) { return static_cast<size_t>((size + kBlock - 1) / kBlock * kBlock); }

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

// The archive ends with the zero block at `end`. What follows may be only
// more zeros (the second end block, and the padding tar writes up to its
// record size): anything else, a whole member included, is not part of the
// archive, and a reader that ignored it would vouch for bytes nobody checked.
std::string TrailingDataProblem(std::string_view archive, size_t end) {
  const size_t junk = archive.find_first_not_of('\0', end);
  if (junk == std::string_view::npos) return "";
  return "damaged archive: data after the end of the archive at byte " + std::to_string(junk);
}

std::string ReadWholeFile(const std::filesystem::path& path, std::string* bytes) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::string("cannot open as a tar archive: ") + std::strerror(errno);
  struct stat info {};
  std::string problem;
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    problem = "cannot open as a tar archive: not a regular file";
  } else {
    bytes->resize(static_cast<size_t>(info.st_size));
    for (size_t done = 0; done < bytes->size();) {
      ssize_t got = pread(fd, bytes->data() + done, bytes->size() - done, static_cast<off_t>(done));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        problem = std::string("cannot read: ") + (got < 0 ? std::strerror(errno) : "the file shrank");
        break;
      }
      done += static_cast<size_t>(got);
    }
  }
  close(fd);
  return problem;
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

std::string ReadTar(const std::filesystem::path& path, std::vector<TarMember>* members) {
  std::string archive;
  std::string problem = ReadWholeFile(path, &archive);
  if (!problem.empty()) return problem;
  return ParseTar(archive, members);
}

std::string ParseTar(std::string_view archive, std::vector<TarMember>* members) {
  std::set<std::string> seen;
  NextMember next;
  size_t at = 0;
  for (;;) {
    if (archive.size() - at < kBlock)
      return at == archive.size() && at > 0 && next.empty() ? "" : "damaged archive: truncated header";
    const char* header = archive.data() + at;
    if (AllZero(header)) {
      if (!next.empty()) return "damaged archive: a header without its member";
      return TrailingDataProblem(archive, at);
    }
    if (!ChecksumMatches(header)) return "damaged archive: header checksum mismatch at byte " + std::to_string(at);
    uint64_t size = 0;
    if (!Octal(header, kSize, &size)) return "damaged archive: bad size field at byte " + std::to_string(at);
    const char type = header[kTypeflag];
    const bool ustar = std::memcmp(header + kMagic.at, "ustar", 5) == 0;
    std::string name = Text(header, kName);
    if (ustar && header[kPrefix.at] != '\0') name = Text(header, kPrefix).append("/").append(name);
    if (type == '0' || type == '\0') {
      if (!next.name.empty()) name = next.name;
      if (next.has_size) size = next.size;
    }
    if (size > kMaxMemberSize) return "member '" + name + "' has an impossible size";
    at += kBlock;
    if (archive.size() - at < size) return "member '" + name + "' is truncated";
    std::string_view data(archive.data() + at, static_cast<size_t>(size));
    at += std::min(Padded(size), archive.size() - at);
    if (type == 'x') {
      if (!ParsePax(data, &next)) return "damaged archive: bad pax header for the next member";
      continue;
    }
    if (type == 'L') {  // GNU tar's long name
      next.name = std::string(data.substr(0, data.find('\0')));
      continue;
    }
    if (type == 'g') continue;  // pax global header: nothing a bundle uses
    next = NextMember{};
    if (type != '0' && type != '\0') return "member '" + name + "' is not a regular file";
    if (!SafeName(name)) return "member '" + name + "' has an unsafe name";
    if (!seen.insert(name).second) return "member '" + name + "' appears twice";
    members->push_back(TarMember{name, std::string(data)});
  }
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
  const std::string archive = SerializeTar(members);

  const std::filesystem::path partial = path.string() + ".part";
  const int fd = open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return "cannot create " + partial.string() + ": " + std::strerror(errno);
  for (size_t done = 0; done < archive.size();) {
    ssize_t wrote = write(fd, archive.data() + done, archive.size() - done);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) {
      const std::string reason = std::strerror(errno);
      close(fd);
      unlink(partial.c_str());
      return "cannot write " + partial.string() + ": " + reason;
    }
    done += static_cast<size_t>(wrote);
  }
  const bool synced = fsync(fd) == 0;
  const int sync_error = errno;
  if (close(fd) != 0 || !synced) {
    const std::string reason = std::strerror(synced ? errno : sync_error);
    unlink(partial.c_str());
    return "cannot finish " + partial.string() + ": " + reason;
  }
  std::error_code error;
  std::filesystem::rename(partial, path, error);
  if (error) return "cannot rename " + partial.string() + " to " + path.string() + ": " + error.message();
  return "";
}

}  // namespace lm
