// lm_pe_descriptor: reads a migration plugin cross-built for Windows (a
// PE32+ DLL) without loading it, and prints what a Windows runner would see:
//
//   export <name>                      every name in the export table
//   descriptor <struct_size> <abi_version> <sdk_version>
//   migration <version> <name> <reversible|irreversible> <checksum|->
//
// The descriptor comes from a linker section whose bounds the PE linker
// orders by the text after '$' (sdk/src/plugin_entry.c); reading the data
// checks that ordering, which the export table alone cannot.
// Exit 0, or 1 with one line on stderr when the file is not what it should be.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace {

constexpr char kEntry[] = "link_migration_plugin";

class PeImage {
 public:
  explicit PeImage(std::vector<unsigned char> bytes) : bytes_(std::move(bytes)) {
    if (U16(0) != 0x5a4d) throw std::runtime_error("not a PE file (no MZ header)");
    const uint32_t pe = U32(0x3c);
    if (U32(pe) != 0x00004550) throw std::runtime_error("not a PE file (no PE signature)");
    const uint32_t coff = pe + 4;
    const uint16_t section_count = U16(coff + 2);
    const uint16_t optional_size = U16(coff + 16);
    const uint32_t optional = coff + 20;
    if (U16(optional) != 0x20b) throw std::runtime_error("not PE32+ (64-bit)");
    image_base_ = U64(optional + 24);
    if (U32(optional + 108) < 1) throw std::runtime_error("no data directories");
    export_rva_ = U32(optional + 112);
    for (uint32_t i = 0, at = optional + optional_size; i < section_count; ++i, at += 40)
      sections_.push_back({U32(at + 12), U32(at + 8), U32(at + 16), U32(at + 20)});
  }

  // Name -> RVA of every export.
  std::vector<std::pair<std::string, uint32_t>> Exports() const {
    std::vector<std::pair<std::string, uint32_t>> exports;
    if (export_rva_ == 0) return exports;
    const uint32_t directory = Offset(export_rva_);
    const uint32_t names = U32(directory + 24);
    const uint32_t functions = Offset(U32(directory + 28));
    const uint32_t name_table = Offset(U32(directory + 32));
    const uint32_t ordinals = Offset(U32(directory + 36));
    for (uint32_t i = 0; i < names; ++i) {
      const uint16_t ordinal = U16(ordinals + 2 * i);
      exports.emplace_back(String(U32(name_table + 4 * i)), U32(functions + 4 * ordinal));
    }
    return exports;
  }

  uint32_t U32AtRva(uint32_t rva) const { return U32(Offset(rva)); }
  uint64_t U64AtRva(uint32_t rva) const { return U64(Offset(rva)); }
  // A pointer stored in the image holds a VA at the preferred base.
  uint32_t RvaOf(uint64_t va) const {
    if (va < image_base_) throw std::runtime_error("pointer outside the image");
    return static_cast<uint32_t>(va - image_base_);
  }
  std::string StringAtVa(uint64_t va) const { return va == 0 ? "-" : String(RvaOf(va)); }

 private:
  struct Section {
    uint32_t rva, virtual_size, raw_size, raw_offset;
  };

  uint32_t Offset(uint32_t rva) const {
    for (const Section& s : sections_) {
      // Raw data is padded to the file alignment; past virtual_size is not the section's.
      const uint32_t size = s.virtual_size != 0 ? std::min(s.virtual_size, s.raw_size) : s.raw_size;
      if (rva >= s.rva && rva - s.rva < size) return s.raw_offset + (rva - s.rva);
    }
    throw std::runtime_error("RVA " + std::to_string(rva) + " is in no section's file data");
  }
  void Need(uint64_t offset, uint64_t size) const {
    if (offset + size > bytes_.size()) throw std::runtime_error("truncated file");
  }
  uint16_t U16(uint64_t at) const {
    Need(at, 2);
    return static_cast<uint16_t>(bytes_[at] | bytes_[at + 1] << 8);
  }
  uint32_t U32(uint64_t at) const { return U16(at) | static_cast<uint32_t>(U16(at + 2)) << 16; }
  uint64_t U64(uint64_t at) const { return U32(at) | static_cast<uint64_t>(U32(at + 4)) << 32; }
  std::string String(uint32_t rva) const {
    std::string text;
    for (uint32_t at = Offset(rva); (Need(at, 1), bytes_[at] != 0); ++at) text += static_cast<char>(bytes_[at]);
    return text;
  }

  std::vector<unsigned char> bytes_;
  uint64_t image_base_ = 0;
  uint32_t export_rva_ = 0;
  std::vector<Section> sections_;
};

// lm_plugin and lm_migration as laid out on x86_64 Windows (migration.h).
void PrintDescriptor(const PeImage& image, uint32_t rva) {
  const uint32_t struct_size = image.U32AtRva(rva);
  const uint32_t abi_version = image.U32AtRva(rva + 4);
  const uint64_t begin = image.U64AtRva(rva + 8);
  const uint64_t end = image.U64AtRva(rva + 16);
  std::printf("descriptor %u %u %s\n", struct_size, abi_version, image.StringAtVa(image.U64AtRva(rva + 24)).c_str());
  if (end < begin || (end - begin) % 8 != 0) throw std::runtime_error("descriptor's begin/end are not an array");
  for (uint64_t slot = begin; slot < end; slot += 8) {
    const uint64_t migration = image.U64AtRva(image.RvaOf(slot));
    if (migration == 0) continue;  // the section's bounds, or padding
    const uint32_t at = image.RvaOf(migration);
    const int64_t version = static_cast<int64_t>(image.U64AtRva(at + 8));
    std::printf("migration %lld %s %s %s\n", static_cast<long long>(version),
                image.StringAtVa(image.U64AtRva(at + 16)).c_str(),
                image.U64AtRva(at + 64) != 0 ? "reversible" : "irreversible",
                image.StringAtVa(image.U64AtRva(at + 48)).c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: lm_pe_descriptor <plugin.dll>\n");
    return 2;
  }
  try {
    std::ifstream file(argv[1], std::ios::binary);
    if (!file) throw std::runtime_error("cannot open the file");
    PeImage image(std::vector<unsigned char>(std::istreambuf_iterator<char>(file), {}));
    uint32_t entry = 0;
    for (const auto& [name, rva] : image.Exports()) {
      std::printf("export %s\n", name.c_str());
      if (name == kEntry) entry = rva;
    }
    if (entry == 0) throw std::runtime_error(std::string("no export named ") + kEntry);
    PrintDescriptor(image, entry);
  } catch (const std::exception& failure) {
    std::fflush(stdout);
    std::fprintf(stderr, "lm_pe_descriptor: %s: %s\n", argv[1], failure.what());
    return 1;
  }
  return 0;
}
