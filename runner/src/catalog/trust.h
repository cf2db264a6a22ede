// Trust rules for plugin files: loading a shared library runs its code, so
// the runner refuses files that someone other than the user (or root) could
// have put or changed there, as OpenSSH's StrictModes does for keys.
#ifndef LINK_MIGRATION_RUNNER_TRUST_H
#define LINK_MIGRATION_RUNNER_TRUST_H

#include <sys/stat.h>

#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "base/status.h"
#include "catalog/private_group.h"

namespace lm {

struct TrustPolicy {
  // The file, its folder and every folder above must be owned by the user or
  // root, and not writable by group or others (a folder with the sticky bit,
  // such as /tmp, may be; so may anything whose group is the user's private
  // group: named like the user, and no other account's primary or
  // supplementary group; see private_group.h).
  bool check_permissions = true;
  // When not empty, a plugin file loaded from a plain folder must have one
  // of these SHA-256 digests (lowercase hex).
  std::set<std::string> allowed_sha256;
  // Refuse plugin files from plain folders: migrations come only in bundles.
  bool bundles_only = false;
};

// Applies a policy to many files, checking each folder once.
class TrustChecker {
 public:
  explicit TrustChecker(TrustPolicy policy);

  const TrustPolicy& policy() const { return policy_; }
  // OK when `file` may be loaded; otherwise the reason and the fix (kind
  // kPluginLoad, naming the file or folder at fault).
  Status Check(const std::filesystem::path& file);
  // The same for a file known not to be a symbolic link, from the caller's
  // stat of it: the fstat of a file opened with O_NOFOLLOW (so the checked
  // file is the one that was opened), or its lstat when that showed no link.
  // One system call fewer per file.
  Status CheckNonLink(const std::string& file, const struct stat& info);

 private:
  // Files and folders as text: status checks a thousand files, and every
  // std::filesystem::path made splits itself into components.
  Status RealFolderOf(const std::string& file, const std::string** real_folder);
  Status CheckResolved(const std::string& file, const struct stat& info, bool is_link);
  Status CheckDigest(const std::string& file) const;
  Status CheckFolders(const std::string& folder, const std::string& file);

  TrustPolicy policy_;
  uid_t me_;
  PrivateGroups private_groups_;
  // The folders already checked, by real path (a plugin's own folder, and
  // the folders above it); strings, since comparing paths goes component by
  // component. Files are checked each time: a file read for its metadata is
  // checked again when it is loaded, as close to the dlopen as can be.
  std::unordered_set<std::string> trusted_folders_;
  std::unordered_set<std::string> trusted_above_;
  // Searched with the folder part of each file's name, not a copy of it.
  struct TextHash {
    using is_transparent = void;
    size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };
  std::unordered_map<std::string, std::string, TextHash, std::equal_to<>> real_folders_;
};

// One file, with a checker of its own.
Status CheckTrusted(const std::filesystem::path& file, const TrustPolicy& policy);

// The SHA-256 of a file's bytes, lowercase hex.
Status Sha256File(const std::filesystem::path& file, std::string* hex);

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_TRUST_H
