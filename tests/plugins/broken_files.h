// Plugin files broken the ways files on disk break, made from a real plugin's
// bytes, for the tests that check the runner answers each with an error
// naming the file, never a signal; and a plugin whose lm_meta section is
// hidden, which the runner must read by loading it (in its checking child).
#ifndef LM_TEST_PLUGINS_BROKEN_FILES_H
#define LM_TEST_PLUGINS_BROKEN_FILES_H

#include <elf.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

namespace lm_test::broken {

inline Elf64_Ehdr HeaderOf(const std::string& bytes) {
  Elf64_Ehdr header;
  if (bytes.size() < sizeof(header)) throw std::runtime_error("not an ELF file");
  std::memcpy(&header, bytes.data(), sizeof(header));
  return header;
}

// The full size, the second half zeros: a copy whose data never reached the
// disk (a crash, a sparse copy). Its headers are whole; dlopen of it dies.
inline std::string ZeroFilledTail(std::string bytes) {
  std::fill(bytes.begin() + static_cast<std::ptrdiff_t>(bytes.size() / 2), bytes.end(), '\0');
  return bytes;
}

// The first half only: a copy still in progress.
inline std::string Truncated(const std::string& bytes) { return bytes.substr(0, bytes.size() / 2); }

// Whole ELF and program headers, then bytes that are not what they point at.
inline std::string GarbageAfterHeaders(std::string bytes) {
  const Elf64_Ehdr header = HeaderOf(bytes);
  const size_t headers_end = std::max<size_t>(sizeof(header), header.e_phoff + size_t{header.e_phnum} * header.e_phentsize);
  uint32_t state = 20261207;  // a fixed xorshift stream: the same garbage every run
  for (size_t at = headers_end; at < bytes.size(); ++at) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    bytes[at] = static_cast<char>(state & 0xff);
  }
  return bytes;
}

// The ELF header's section table moved past the end of the file.
inline std::string SectionTablePastTheEnd(std::string bytes) {
  Elf64_Ehdr header = HeaderOf(bytes);
  header.e_shoff = bytes.size() + 4096;
  std::memcpy(bytes.data(), &header, sizeof(header));
  return bytes;
}

// The same plugin with its lm_meta section renamed, as a plugin built
// without the SDK's macro (or before lm_meta existed) reads.
inline std::string WithoutMeta(std::string bytes) {
  const Elf64_Ehdr header = HeaderOf(bytes);
  const size_t names_header = header.e_shoff + size_t{header.e_shstrndx} * sizeof(Elf64_Shdr);
  if (header.e_shentsize != sizeof(Elf64_Shdr) || names_header + sizeof(Elf64_Shdr) > bytes.size())
    throw std::runtime_error("no section names");
  Elf64_Shdr names;
  std::memcpy(&names, bytes.data() + names_header, sizeof(names));
  const std::string wanted("lm_meta\0", 8);
  const size_t found = std::string_view(bytes).substr(names.sh_offset, names.sh_size).find(wanted);
  if (found == std::string::npos) throw std::runtime_error("no lm_meta section");
  bytes[names.sh_offset + found + 3] = 'x';  // "lm_xeta"
  return bytes;
}

}  // namespace lm_test::broken

#endif  // LM_TEST_PLUGINS_BROKEN_FILES_H
