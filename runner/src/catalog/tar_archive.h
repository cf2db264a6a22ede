// Reading and writing plain tar archives (POSIX ustar, with pax headers for
// long names): the bundle's container, which anyone can open with `tar`.
#ifndef LINK_MIGRATION_RUNNER_TAR_ARCHIVE_H
#define LINK_MIGRATION_RUNNER_TAR_ARCHIVE_H

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace lm {

struct TarMember {
  std::string name;
  std::string bytes;
};

// Every member, in archive order. Returns an error message, empty on
// success. Only regular files with relative names free of ".." are accepted;
// a name seen twice is an error. The archive ends at its first zero block
// (or at the end of the file); anything but zeros after it is an error
// naming its byte offset.
std::string ReadTar(const std::filesystem::path& path, std::vector<TarMember>* members);
// The same for an archive's bytes in memory.
std::string ParseTar(std::string_view archive, std::vector<TarMember>* members);
// The bytes WriteTar writes.
std::string SerializeTar(const std::vector<TarMember>& members);

// Writes the members as a ustar/pax tar, reproducibly (fixed time, owner, mode),
// to a temporary file renamed over `path` once complete.
std::string WriteTar(const std::filesystem::path& path, const std::vector<TarMember>& members);

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_TAR_ARCHIVE_H
