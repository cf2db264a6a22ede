// Reads a shared-library file before (or instead of) loading it, without
// running any of it. dlopen of a truncated file (a copy still in progress)
// can kill the process with SIGBUS when it touches pages past the end, and
// one whose tail was zero-filled dies in the loader with SIGSEGV, so the
// headers and the section table are checked first; and a plugin's lm_meta
// section tells its migrations without loading it, so commands that run
// nothing load nothing.
#ifndef LINK_MIGRATION_RUNNER_LIBRARY_FILE_H
#define LINK_MIGRATION_RUNNER_LIBRARY_FILE_H

#include <link_migration/migration.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace lm {

struct LibraryFileInfo {
  bool has_meta = false;  // an lm_meta section with usable records
  std::vector<lm_meta_record> meta;
};

// Empty when the file is a complete shared library for this machine;
// otherwise why not, in a few words ("truncated: ...", "not a shared library
// (no ELF header)", "damaged: ..."). Any bytes at all give one of the two,
// never a crash. When `info` is given, also reads the lm_meta records.
std::string InspectLibraryFile(const std::filesystem::path& path, LibraryFileInfo* info = nullptr);
// The same for a file already open (`size`: its fstat size).
std::string InspectLibraryFd(int fd, uint64_t size, LibraryFileInfo* info);
// The same for a library's bytes in memory (a bundle's member).
std::string InspectLibraryBytes(std::string_view bytes, LibraryFileInfo* info);

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_LIBRARY_FILE_H
