// Fuzzes the config loader (runner/src/config.h) with arbitrary file
// contents. LoadConfig reads a path, so each input is written to one
// temporary file first; the loader does not touch the paths it resolves.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "config/config.h"

namespace {

const std::filesystem::path& ScratchFile() {
  static const std::filesystem::path path = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/lm-config-fuzz-XXXXXX";
    const int fd = mkstemp(pattern.data());
    if (fd < 0) std::abort();
    close(fd);
    // Left behind only if the process dies: one small file per crash.
    std::atexit([] { std::filesystem::remove(ScratchFile()); });
    return std::filesystem::absolute(pattern);
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  {
    std::ofstream out(ScratchFile(), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    if (!out) std::abort();
  }
  lm::Config config;
  const lm::Status status = lm::LoadConfig(ScratchFile(), &config);
  // Whatever the bytes, the answer is a config or a config error that names
  // the file: never another kind of error, never an exception, never more
  // than one line, never the JSON library's own text (which quotes the file).
  if (!status.ok()) {
    if (status.kind() != lm::ErrorKind::kConfig) std::abort();
    if (status.message().find(ScratchFile().string()) == std::string::npos) std::abort();
    if (status.message().find('\n') != std::string::npos) std::abort();
    // (A key the file itself spells "last read" may be named in a JSONPath.)
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (status.message().find("last read") != std::string::npos && text.find("last read") == std::string_view::npos)
      std::abort();
  } else if (config.migration_dirs.empty() || config.store.plugin.empty()) {
    std::abort();  // both are required
  }
  return 0;
}
