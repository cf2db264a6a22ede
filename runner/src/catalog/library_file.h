// Reads a shared-library file before (or instead of) loading it. dlopen of a
// truncated file (a copy still in progress) can kill the process with SIGBUS
// when it touches pages past the end, so the runner checks the headers
// first; and a plugin's lm_meta section tells its migrations without
// loading it, so commands that run nothing load nothing.
#ifndef LINK_MIGRATION_RUNNER_LIBRARY_FILE_H
#define LINK_MIGRATION_RUNNER_LIBRARY_FILE_H

#include <link_migration/migration.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace lm {

struct LibraryFileInfo {
  bool has_meta = false;  // an lm_meta section with usable records
  std::vector<lm_meta_record> meta;
};

// Empty when the file is a complete shared library for this machine;
// otherwise why not, in a few words ("truncated: ...", "not an ELF file").
// When `info` is given, also reads the lm_meta records.
std::string InspectLibraryFile(const std::filesystem::path& path, LibraryFileInfo* info = nullptr);
// The same for a file already open (`size`: its fstat size).
std::string InspectLibraryFd(int fd, uint64_t size, LibraryFileInfo* info);

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_LIBRARY_FILE_H
