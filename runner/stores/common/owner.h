// Who holds a run lock: written into the lock file by the holder, read back
// by a runner that has to wait, so its message can name the holder.
#ifndef LINK_MIGRATION_STORES_COMMON_OWNER_H
#define LINK_MIGRATION_STORES_COMMON_OWNER_H

#include <link_migration/store.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace lm::stores {

struct Owner {
  std::string user;
  std::string host;
  int64_t pid = 0;
  std::string run_id;
  std::string started_at;
};

// Copies the runner's lm_owner (fields its struct_size covers). Missing user,
// host or pid are filled in from this process, so a lock always names a
// process someone can find.
Owner OwnerFromArgs(const lm_owner* owner);

// The lock file's contents: one JSON object on one line, so people can read
// it with `cat` and tools can parse it.
std::string OwnerToLockFileText(const Owner& owner);

// "alice@host1 pid 4242 (run 3f2a) since 2026-11-21T21:17:47Z", from the text
// OwnerToLockFileText wrote. Text that is empty or not ours (the holder has
// not written it yet, or an older store) gives a description saying so.
std::string DescribeLockHolder(std::string_view lock_file_text);

}  // namespace lm::stores

#endif  // LINK_MIGRATION_STORES_COMMON_OWNER_H
