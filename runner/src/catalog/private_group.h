// Whether a group's write permission lets anyone but one user in. Under the
// user-private-group scheme (useradd -U, umask 002) each user has a group of
// their own, and files and folders are group-writable by default: writable
// by that group is then writable by the user alone, but only as long as no
// other account has the group.
#ifndef LINK_MIGRATION_RUNNER_PRIVATE_GROUP_H
#define LINK_MIGRATION_RUNNER_PRIVATE_GROUP_H

#include <sys/types.h>

#include <unordered_map>

namespace lm {

class PrivateGroups {
 public:
  explicit PrivateGroups(uid_t user) : user_(user) {}

  // True when `gid` is the user's private group: named like the user, and
  // no other account has it, neither as a supplementary group (the group's
  // member list) nor as its primary group (the password database, read to
  // its end: a primary group's users are not in its member list). A name
  // that cannot be looked up, or a database that cannot be read to its end,
  // counts as not private. Each group is looked up once per object.
  bool IsPrivate(gid_t gid);

 private:
  uid_t user_;
  std::unordered_map<gid_t, bool> known_;
};

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_PRIVATE_GROUP_H
