// Whole-file reads and crash-safe whole-file replacement.
#ifndef LINK_MIGRATION_STORES_COMMON_ATOMIC_FILE_H
#define LINK_MIGRATION_STORES_COMMON_ATOMIC_FILE_H

#include <string>
#include <string_view>

#include "common/status.h"

namespace lm::stores {

// Reads all of `path` into *contents. A missing file is not an error:
// *exists is then false and *contents empty.
Status ReadWholeFile(const std::string& path, std::string* contents, bool* exists);

enum class WriteMode {
  kReplace,     // replace the file, or create it
  kCreateOnly,  // create the file; if it already exists leave it alone
};

// Writes `contents` to `path` so that a reader, or the file after a crash or
// power loss, shows either the old contents or the new, never a mix, and
// nothing is written through a link planted at any name: the runner's
// lm::WriteFileAtomically (base/atomic_file.h) writes a new file created
// exclusively in the same folder, syncs it and renames it over `path`. The
// new file is removed on failure. A replaced file keeps its permission
// bits. With kCreateOnly, *created (if not NULL) tells whether this call
// created the file.
Status WriteFileAtomically(const std::string& path, std::string_view contents, WriteMode mode = WriteMode::kReplace,
                           bool* created = nullptr);

}  // namespace lm::stores

#endif  // LINK_MIGRATION_STORES_COMMON_ATOMIC_FILE_H
