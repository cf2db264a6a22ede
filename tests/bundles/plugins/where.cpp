// Version 60 says where its own code is mapped from (/proc/self/maps): a
// file on disk, or the sealed memory file a bundle's plugin is loaded from.
#include <cstdint>
#include <fstream>
#include <link_migration/migration.hpp>
#include <sstream>
#include <string>

namespace {

std::string MappedFrom() {
  const auto here = reinterpret_cast<std::uintptr_t>(&MappedFrom);
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    std::istringstream fields(line);
    std::string range, perms, offset, device, inode, path;
    fields >> range >> perms >> offset >> device >> inode;
    std::getline(fields >> std::ws, path);
    const size_t dash = range.find('-');
    if (dash == std::string::npos) continue;
    const auto start = std::stoull(range.substr(0, dash), nullptr, 16);
    const auto end = std::stoull(range.substr(dash + 1), nullptr, 16);
    if (here >= start && here < end) return path;
  }
  return "unknown";
}

}  // namespace

LINK_MIGRATION({
    .version = 60,
    .name = "where",
    .up = [](link_migration::Context& ctx) { ctx.info("code mapped from " + MappedFrom()); },
    .down = [](link_migration::Context& ctx) { ctx.info("code mapped from " + MappedFrom()); },
});
