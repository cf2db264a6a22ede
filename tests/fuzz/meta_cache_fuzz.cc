// Fuzzes the plugin metadata cache's reader (runner/src/meta_cache.h): the
// cache file is read at every start, and a damaged one must be refused, not
// trusted. Whatever it accepts must be well formed and must be exactly what
// the writer makes of it.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "catalog/meta_cache.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  lm::MetaCacheFile file;
  if (!lm::ParseMetaCache(bytes, "fuzz", "/f", &file)) {
    if (!file.entries.empty() || !file.folder.empty()) std::abort();
    return 0;
  }
  for (size_t i = 0; i < file.entries.size(); ++i) {
    const lm::MetaCacheEntry& entry = file.entries[i];
    if (entry.name.empty() || entry.name.find('/') != std::string::npos || entry.records.empty()) std::abort();
    if (i > 0 && !(file.entries[i - 1].name < entry.name)) std::abort();
    for (const lm_meta_record& record : entry.records)
      if (record.magic != LM_META_MAGIC || std::strlen(record.name) >= LM_META_NAME_MAX) std::abort();
  }
  if (lm::SerializeMetaCache(file) != bytes) std::abort();
  return 0;
}
