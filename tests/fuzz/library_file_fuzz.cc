// Fuzzes the reader of plugin files' headers and lm_meta records
// (runner/src/catalog/library_file.h): the runner reads every file in the
// migrations folders and every bundle member with it before anything else,
// so it must take any bytes and answer with a reason, never crash. Reading
// the same bytes from memory and from a file must give the same answer, and
// every record it hands on must be usable as it is.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "catalog/library_file.h"

namespace {

bool SameRecords(const lm::LibraryFileInfo& a, const lm::LibraryFileInfo& b) {
  if (a.has_meta != b.has_meta || a.meta.size() != b.meta.size()) return false;
  return a.meta.empty() || std::memcmp(a.meta.data(), b.meta.data(), a.meta.size() * sizeof(lm_meta_record)) == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  lm::LibraryFileInfo from_memory;
  const std::string problem = lm::InspectLibraryBytes(bytes, &from_memory);
  if (!problem.empty() && from_memory.has_meta) std::abort();
  for (const lm_meta_record& record : from_memory.meta) {
    if (record.magic != LM_META_MAGIC || record.struct_size != sizeof(lm_meta_record)) std::abort();
    if (record.name[0] == '\0' || std::memchr(record.name, '\0', sizeof(record.name)) == nullptr) std::abort();
    if (std::memchr(record.checksum, '\0', sizeof(record.checksum)) == nullptr) std::abort();
  }

  const int fd = memfd_create("library-file-fuzz", MFD_CLOEXEC);
  if (fd < 0) return 0;
  if (write(fd, data, size) == static_cast<ssize_t>(size)) {
    lm::LibraryFileInfo from_file;
    if (lm::InspectLibraryFd(fd, size, &from_file) != problem || !SameRecords(from_memory, from_file)) std::abort();
  }
  close(fd);
  return 0;
}
