#include "catalog/library_file.h"

#include <elf.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lm {
namespace {

#if defined(__x86_64__)
constexpr uint16_t kThisMachine = EM_X86_64;
#elif defined(__aarch64__)
constexpr uint16_t kThisMachine = EM_AARCH64;
#elif defined(__i386__)
constexpr uint16_t kThisMachine = EM_386;
#elif defined(__arm__)
constexpr uint16_t kThisMachine = EM_ARM;
#else
constexpr uint16_t kThisMachine = EM_NONE;  // unknown: not checked
#endif

#if UINTPTR_MAX > 0xffffffffu
using Ehdr = Elf64_Ehdr;
using Phdr = Elf64_Phdr;
using Shdr = Elf64_Shdr;
constexpr unsigned char kThisClass = ELFCLASS64;
#else
using Ehdr = Elf32_Ehdr;
using Phdr = Elf32_Phdr;
using Shdr = Elf32_Shdr;
constexpr unsigned char kThisClass = ELFCLASS32;
#endif

bool Ends(uint64_t offset, uint64_t length, uint64_t file_size) {
  return offset <= file_size && length <= file_size - offset;
}

// Reads exactly `size` bytes at `offset`.
bool ReadAt(int fd, uint64_t offset, void* into, size_t size) {
  auto* bytes = static_cast<char*>(into);
  while (size > 0) {
    ssize_t got = pread(fd, bytes, size, static_cast<off_t>(offset));
    if (got <= 0) return false;
    bytes += got;
    offset += static_cast<uint64_t>(got);
    size -= static_cast<size_t>(got);
  }
  return true;
}

// A library file read in few system calls and few bytes: status reads a
// thousand of these. A tiny file is read whole; a larger one keeps its head
// (ELF and program headers) and its tail (the section table, with the
// section names just before it, where linkers put them), and the lm_meta
// section in between is read on its own. Reading a 23 KiB plugin whole cost
// more in the kernel's copying than the three reads do in all.
// A bundle's member is already in memory: then every read is a copy.
class LibraryReader {
 public:
  static constexpr uint64_t kWholeFileLimit = uint64_t{8} << 10;
  static constexpr uint64_t kHeadBytes = uint64_t{1} << 10;
  static constexpr uint64_t kTailBytes = uint64_t{4} << 10;

  LibraryReader(int fd, uint64_t size) : fd_(fd), size_(size) {}
  explicit LibraryReader(std::string_view bytes) : size_(bytes.size()), in_memory_(bytes) {}

  uint64_t size() const { return size_; }

  bool Prefetch() {
    if (fd_ < 0) return true;
    if (size_ <= kWholeFileLimit) return Fill(0, size_, &head_);
    return Fill(0, kHeadBytes, &head_) && Fill(size_ - kTailBytes, kTailBytes, &tail_);
  }

  // False, reading nothing, for a range that does not lie in the file.
  bool Read(uint64_t offset, void* into, size_t size) const {
    if (!Ends(offset, size, size_)) return false;
    if (size == 0) return true;  // nothing to copy, and `into` may be null (an empty table)
    if (fd_ < 0) {
      std::memcpy(into, in_memory_.data() + offset, size);
      return true;
    }
    for (const Window* window : {&head_, &tail_}) {
      if (offset >= window->at && offset - window->at <= window->size &&
          size <= window->size - (offset - window->at)) {
        std::memcpy(into, window->bytes.get() + (offset - window->at), size);
        return true;
      }
    }
    return ReadAt(fd_, offset, into, size);
  }

 private:
  struct Window {
    std::unique_ptr<char[]> bytes;  // not zero-filled first: the read fills it
    uint64_t at = 0;
    uint64_t size = 0;
  };

  bool Fill(uint64_t at, uint64_t size, Window* window) const {
    window->bytes.reset(new char[size]);
    window->at = at;
    window->size = size;
    return ReadAt(fd_, at, window->bytes.get(), size);
  }

  int fd_ = -1;  // -1: the bytes are in_memory_
  uint64_t size_;
  std::string_view in_memory_;
  Window head_, tail_;
};

// Closes the descriptor on every path out.
struct FileCloser {
  int fd;
  ~FileCloser() {
    if (fd >= 0) close(fd);
  }
};

// "ends at byte 9000, the file has 4096 bytes": where a part of the file lies past its end.
std::string EndsPast(uint64_t offset, uint64_t length, uint64_t file_size) {
  return "ends at byte " + std::to_string(offset + length) + ", the file has " + std::to_string(file_size) + " bytes";
}

// The records of an lm_meta section. Records are found by their magic, so
// alignment padding between them does no harm.
std::string ReadMeta(const LibraryReader& file, const Shdr& section, LibraryFileInfo* info) {
  if (section.sh_type != SHT_PROGBITS) return "damaged: its lm_meta section holds no bytes in the file";
  std::string bytes(section.sh_size, '\0');
  if (!file.Read(section.sh_offset, bytes.data(), bytes.size()))
    return "damaged: its lm_meta section " + EndsPast(section.sh_offset, section.sh_size, file.size());
  for (size_t at = 0; at + sizeof(lm_meta_record) <= bytes.size();) {
    lm_meta_record record;
    std::memcpy(&record, bytes.data() + at, sizeof(record));
    if (record.magic != LM_META_MAGIC || record.struct_size != sizeof(lm_meta_record)) {
      at += 8;
      continue;
    }
    record.name[LM_META_NAME_MAX - 1] = '\0';
    record.checksum[LM_META_CHECKSUM_MAX - 1] = '\0';
    if (record.name[0] == '\0') {  // a name too long for the record: only the descriptors tell
      info->meta.clear();
      return "";
    }
    info->meta.push_back(record);
    at += sizeof(record);
  }
  info->has_meta = !info->meta.empty();
  return "";
}

// The section table must be whole and name its sections: a file whose tail
// was lost (zero-filled by a crash or a sparse copy, or overwritten) fails
// here, where dlopen would map it and die in the loader. When `info` is
// given, also reads the lm_meta records.
std::string CheckSections(const LibraryReader& file, const Ehdr& header, LibraryFileInfo* info) {
  if (header.e_shnum == 0) return "";  // stripped of its section table: nothing to check, no lm_meta
  if (header.e_shentsize != sizeof(Shdr))
    return "damaged: its section headers are " + std::to_string(header.e_shentsize) + " bytes, not " +
           std::to_string(sizeof(Shdr));
  std::vector<Shdr> sections(header.e_shnum);
  if (!file.Read(header.e_shoff, sections.data(), sections.size() * sizeof(Shdr)))
    return "truncated: its section table " + EndsPast(header.e_shoff, sections.size() * sizeof(Shdr), file.size());
  uint32_t names_index = header.e_shstrndx;
  if (names_index == SHN_XINDEX) names_index = sections[0].sh_link;  // more sections than the header can count
  if (names_index == SHN_UNDEF) return "";                           // sections without names: no lm_meta
  if (names_index >= sections.size())
    return "damaged: its section names are in section " + std::to_string(names_index) + " of " +
           std::to_string(sections.size());
  for (size_t i = 0; i < sections.size(); ++i) {
    const Shdr& section = sections[i];
    if (section.sh_type != SHT_NOBITS && section.sh_type != SHT_NULL && !Ends(section.sh_offset, section.sh_size, file.size()))
      return "damaged: section " + std::to_string(i) + " " + EndsPast(section.sh_offset, section.sh_size, file.size());
  }
  const Shdr& names = sections[names_index];
  constexpr uint64_t kMaxNamesBytes = uint64_t{1} << 20;
  std::string name_table(names.sh_type == SHT_STRTAB && names.sh_size <= kMaxNamesBytes ? names.sh_size : 0, '\0');
  // A string table starts and ends with a NUL; zeros or garbage do not both.
  if (name_table.empty() || !file.Read(names.sh_offset, name_table.data(), name_table.size()) ||
      name_table.front() != '\0' || name_table.back() != '\0' || name_table.find_first_not_of('\0') == std::string::npos)
    return "damaged: its section table holds no section names (zero-filled or overwritten)";
  if (info == nullptr) return "";
  for (const Shdr& section : sections) {
    if (section.sh_name < name_table.size() && std::strcmp(name_table.c_str() + section.sh_name, LM_META_SECTION) == 0)
      return ReadMeta(file, section, info);
  }
  return "";
}

std::string Inspect(LibraryReader& file, LibraryFileInfo* info) {
  const uint64_t size = file.size();
  Ehdr header{};
  if (size < sizeof(header)) return "not a shared library (only " + std::to_string(size) + " bytes)";
  if (!file.Prefetch() || !file.Read(0, &header, sizeof(header))) return "cannot read the file header";
  if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0) return "not a shared library (no ELF header)";
  if (header.e_ident[EI_CLASS] != kThisClass) return "built for another word size (32/64-bit)";
  if (header.e_type != ET_DYN) return "an ELF file, but not a shared library";
  if (kThisMachine != EM_NONE && header.e_machine != kThisMachine)
    return "built for another processor (ELF machine " + std::to_string(header.e_machine) + ")";
  if (header.e_phentsize != sizeof(Phdr) || !Ends(header.e_phoff, uint64_t{header.e_phnum} * sizeof(Phdr), size))
    return "truncated or damaged: program headers lie past the end of the file";
  if (header.e_shnum != 0 && !Ends(header.e_shoff, uint64_t{header.e_shnum} * header.e_shentsize, size))
    return "truncated: the file has " + std::to_string(size) + " bytes, its section table ends at byte " +
           std::to_string(header.e_shoff + uint64_t{header.e_shnum} * header.e_shentsize);

  std::vector<Phdr> segments(header.e_phnum);
  if (!file.Read(header.e_phoff, segments.data(), segments.size() * sizeof(Phdr)))
    return "cannot read the program headers";
  bool loads_anything = false;
  bool dynamic = false;
  for (const Phdr& segment : segments) {
    if ((segment.p_type == PT_LOAD || segment.p_type == PT_DYNAMIC) && !Ends(segment.p_offset, segment.p_filesz, size))
      return "truncated: the file has " + std::to_string(size) + " bytes, a segment ends at byte " +
             std::to_string(segment.p_offset + segment.p_filesz);
    loads_anything = loads_anything || segment.p_type == PT_LOAD;
    dynamic = dynamic || segment.p_type == PT_DYNAMIC;
  }
  if (!loads_anything || !dynamic) return "damaged: its program headers map nothing to load or link";
  return CheckSections(file, header, info);
}

}  // namespace

std::string InspectLibraryFile(const std::filesystem::path& path, LibraryFileInfo* info) {
  // O_NONBLOCK: a FIFO put in a plugin's place would block the open forever.
  FileCloser file{open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK)};
  struct stat status {};
  if (file.fd < 0 || fstat(file.fd, &status) != 0) return std::string("cannot read: ") + std::strerror(errno);
  if (!S_ISREG(status.st_mode)) return "not a regular file";
  return InspectLibraryFd(file.fd, static_cast<uint64_t>(status.st_size), info);
}

std::string InspectLibraryFd(int fd, uint64_t size, LibraryFileInfo* info) {
  LibraryReader reader(fd, size);
  return Inspect(reader, info);
}

std::string InspectLibraryBytes(std::string_view bytes, LibraryFileInfo* info) {
  LibraryReader reader(bytes);
  return Inspect(reader, info);
}

}  // namespace lm
