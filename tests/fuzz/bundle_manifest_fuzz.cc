// Fuzzes the bundle manifest reader (runner/src/bundle.h): the manifest is
// the part of a bundle a runner parses before anything in it is checked, so
// it must take any bytes.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "catalog/bundle.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  lm::BundleManifest manifest;
  const lm::Status status = lm::ParseBundleManifest("fuzz.lmb", bytes, &manifest);
  // Any failure is a plugin-load error naming the bundle; a manifest that
  // parses is of the one format this runner reads.
  if (!status.ok()) {
    if (status.kind() != lm::ErrorKind::kPluginLoad) std::abort();
    if (status.message().find("fuzz.lmb") == std::string::npos) std::abort();
  } else if (manifest.format != lm::kBundleFormat) {
    std::abort();
  }
  return 0;
}
