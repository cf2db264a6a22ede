// Fuzzes the runner's tar reader (runner/src/catalog/tar_archive.h): a
// bundle is a tar, read before anything in it is verified, so the reader must
// take any bytes. Whatever it accepts must be safe to use, must survive a
// round trip through the writer unchanged, and must stop being accepted when
// anything but a zero follows it (data after the end is never ignored).
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/tar_archive.h"

namespace {

bool Safe(const std::string& name) {
  if (name.empty() || name.front() == '/' || name.find('\0') != std::string::npos) return false;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string::npos) end = name.size();
    if (name.compare(start, end - start, "..") == 0) return false;
    start = end + 1;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::vector<lm::TarMember> members;
  if (!lm::ParseTar(bytes, &members).empty()) return 0;
  std::set<std::string> names;
  for (const lm::TarMember& member : members) {
    if (!Safe(member.name) || !names.insert(member.name).second) std::abort();
  }
  std::vector<lm::TarMember> with_junk;
  if (lm::ParseTar(std::string(bytes) + "x", &with_junk).empty()) std::abort();
  std::vector<lm::TarMember> again;
  if (!lm::ParseTar(lm::SerializeTar(members), &again).empty() || again.size() != members.size()) std::abort();
  for (size_t i = 0; i < members.size(); ++i) {
    if (again[i].name != members[i].name || again[i].bytes != members[i].bytes) std::abort();
  }
  return 0;
}
