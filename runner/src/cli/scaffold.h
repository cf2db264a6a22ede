// `new NAME`: writes a migration source from a template, with the next free
// version, ready to build with link_migration_add_migration().
#ifndef LINK_MIGRATION_RUNNER_SCAFFOLD_H
#define LINK_MIGRATION_RUNNER_SCAFFOLD_H

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>

#include "base/status.h"

namespace lm {

struct ScaffoldRequest {
  std::filesystem::path dir;  // where the source goes; created if missing
  std::string name;           // letters, digits and _
  // Versions the loaded plugins provide; the sources already in `dir` are
  // read for theirs too.
  std::set<int64_t> known_versions;
  // Set: a timestamp version (YYYYMMDDHHMMSS) instead of latest + 1.
  std::optional<int64_t> timestamp;
};

struct ScaffoldResult {
  std::filesystem::path file;
  int64_t version = 0;
  std::string target;  // the CMake target name: the file's stem
};

// The UTC time `now` as a YYYYMMDDHHMMSS version.
int64_t TimestampVersion(std::chrono::system_clock::time_point now);

// The versions the C and C++ sources in `dir` declare: a leading number in
// the file name (004_add_index.cpp) and every `.version = N` in the text.
std::set<int64_t> SourceVersions(const std::filesystem::path& dir);

// Writes the source. Refuses (kUsage) a bad name, a name a source in `dir`
// already has, and an existing file, which is never overwritten.
Status Scaffold(const ScaffoldRequest& request, ScaffoldResult* result);

// `path` relative to `base` when it is under it, else absolute.
std::string DisplayPath(const std::filesystem::path& path, const std::filesystem::path& base);

// The line that builds the plugin into `dir`, with paths relative to `base`
// (where the CMakeLists.txt is assumed to be) when they are under it.
std::string CMakeLine(const ScaffoldResult& result, const std::filesystem::path& base);

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_SCAFFOLD_H
