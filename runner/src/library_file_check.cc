#include "library_file_check.h"

#include <elf.h>

#include <cstring>
#include <fstream>
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
constexpr unsigned char kThisClass = ELFCLASS64;
#else
using Ehdr = Elf32_Ehdr;
using Phdr = Elf32_Phdr;
constexpr unsigned char kThisClass = ELFCLASS32;
#endif

bool Ends(uint64_t offset, uint64_t length, uint64_t file_size) {
  return offset <= file_size && length <= file_size - offset;
}

}  // namespace

std::string CheckLibraryFile(const std::filesystem::path& path) {
  std::error_code error;
  const uint64_t size = std::filesystem::file_size(path, error);
  if (error) return "cannot read: " + error.message();
  std::ifstream in(path, std::ios::binary);
  Ehdr header{};
  if (!in.read(reinterpret_cast<char*>(&header), sizeof(header)))
    return size < sizeof(header) ? "not a shared library (only " + std::to_string(size) + " bytes)"
                                 : "cannot read the file header";
  if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0) return "not a shared library (no ELF header)";
  if (header.e_ident[EI_CLASS] != kThisClass) return "built for another word size (32/64-bit)";
  if (header.e_type != ET_DYN) return "an ELF file, but not a shared library";
  if (kThisMachine != EM_NONE && header.e_machine != kThisMachine)
    return "built for another processor (ELF machine " + std::to_string(header.e_machine) + ")";
  if (header.e_phentsize != sizeof(Phdr) ||
      !Ends(header.e_phoff, uint64_t{header.e_phnum} * sizeof(Phdr), size))
    return "truncated or damaged: program headers lie past the end of the file";
  if (header.e_shnum != 0 && !Ends(header.e_shoff, uint64_t{header.e_shnum} * header.e_shentsize, size))
    return "truncated: the file has " + std::to_string(size) + " bytes, its section table ends at byte " +
           std::to_string(header.e_shoff + uint64_t{header.e_shnum} * header.e_shentsize);

  std::vector<Phdr> segments(header.e_phnum);
  in.seekg(static_cast<std::streamoff>(header.e_phoff));
  if (!in.read(reinterpret_cast<char*>(segments.data()),
               static_cast<std::streamsize>(segments.size() * sizeof(Phdr))))
    return "cannot read the program headers";
  for (const Phdr& segment : segments) {
    if (segment.p_type == PT_LOAD && !Ends(segment.p_offset, segment.p_filesz, size))
      return "truncated: the file has " + std::to_string(size) + " bytes, a segment ends at byte " +
             std::to_string(segment.p_offset + segment.p_filesz);
  }
  return "";
}

}  // namespace lm
