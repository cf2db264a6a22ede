#include "catalog/private_group.h"

#include <grp.h>
#include <pwd.h>

#include <cerrno>
#include <string>

namespace lm {
namespace {

// Whether an account other than `user` has `gid` as its primary group. Any
// error reading the password database answers yes: the group is then not
// trusted as private.
bool PrimaryGroupOfAnother(gid_t gid, uid_t user) {
  setpwent();
  bool found = false;
  errno = 0;
  while (const passwd* account = getpwent()) {
    if (account->pw_gid == gid && account->pw_uid != user) {
      found = true;
      break;
    }
    errno = 0;
  }
  // glibc's end of the database leaves errno 0 or ENOENT.
  const bool read_to_end = found || errno == 0 || errno == ENOENT;
  endpwent();
  return found || !read_to_end;
}

bool LookUp(gid_t gid, uid_t user) {
  const passwd* me = getpwuid(user);
  if (me == nullptr) return false;
  const std::string name = me->pw_name;  // the next lookups may reuse getpwuid's buffer
  const group* entry = getgrgid(gid);
  if (entry == nullptr || name != entry->gr_name) return false;
  for (char** member = entry->gr_mem; *member != nullptr; ++member)
    if (name != *member) return false;
  return !PrimaryGroupOfAnother(gid, user);
}

}  // namespace

bool PrivateGroups::IsPrivate(gid_t gid) {
  auto known = known_.find(gid);
  if (known == known_.end()) known = known_.emplace(gid, LookUp(gid, user_)).first;
  return known->second;
}

}  // namespace lm
