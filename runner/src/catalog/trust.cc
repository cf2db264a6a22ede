#include "catalog/trust.h"

#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "base/path_text.h"

namespace lm {
namespace {

namespace fs = std::filesystem;

std::string Octal(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof(text), "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

constexpr const char* kRelax = " (or, knowing the risk, set \"trust\": {\"check_permissions\": false}; see docs/bundles.md)";

enum class Unsafe { kNo, kOwner, kWritable };

// One path, from its stat: owned by us or root, and not writable by others
// unless it is a sticky folder (where others cannot replace what we own).
// `sticky_ok`: for folders above the plugin's own; anyone may add files to
// the plugin's folder itself only if they could be loaded, so it never is.
// Writable by the user's private group means writable by the user alone.
Unsafe Assess(const struct stat& info, uid_t me, PrivateGroups& private_groups, bool sticky_ok) {
  if (info.st_uid != me && info.st_uid != 0) return Unsafe::kOwner;
  const bool sticky_folder = S_ISDIR(info.st_mode) && (info.st_mode & S_ISVTX);
  // The group lookup reads the group and password databases: only worth it
  // when the group may write.
  const mode_t risky =
      S_IWOTH | ((info.st_mode & S_IWGRP) && !private_groups.IsPrivate(info.st_gid) ? S_IWGRP : 0);
  if ((info.st_mode & risky) && !(sticky_ok && sticky_folder)) return Unsafe::kWritable;
  return Unsafe::kNo;
}

// Assess's verdict on `path`, as a refusal to load `plugin` that says why and how to fix it.
Status CheckStat(const struct stat& info, uid_t me, PrivateGroups& private_groups, const std::string& path,
                 const std::string& plugin, bool sticky_ok) {
  const Unsafe verdict = Assess(info, me, private_groups, sticky_ok);
  if (verdict == Unsafe::kOwner)
    return Status::Error(ErrorKind::kPluginLoad,
                         "refusing " + plugin + ": " + path + " is owned by uid " +
                             std::to_string(info.st_uid) + ", not by you (uid " + std::to_string(me) +
                             ") or root; whoever owns it can change the code you run. Fix: chown it" + kRelax);
  if (verdict == Unsafe::kWritable) {
    const bool sticky_folder = S_ISDIR(info.st_mode) && (info.st_mode & S_ISVTX);
    // A shared sticky folder such as /tmp is meant to stay writable: the fix
    // is to move the plugin, not to change the folder.
    const std::string fix = sticky_folder ? "move " + fs::path(plugin).filename().string() +
                                                " into a folder only you can write"
                                          : "chmod go-w " + path;
    return Status::Error(ErrorKind::kPluginLoad,
                         "refusing " + plugin + ": " + path + " is writable by " +
                             ((info.st_mode & S_IWOTH) ? "others" : "its group") + " (mode " + Octal(info.st_mode) +
                             "); anyone who can write it can run code as you. Fix: " + fix + kRelax);
  }
  return Status::Ok();
}

Status CheckOne(const fs::path& path, uid_t me, PrivateGroups& private_groups, const std::string& plugin,
                bool sticky_ok) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0)
    return Status::Error(ErrorKind::kPluginLoad, "cannot check " + path.string() + " before loading " + plugin);
  return CheckStat(info, me, private_groups, path.native(), plugin, sticky_ok);
}

Status Unresolvable(const std::string& file, const std::string& why) {
  return Status::Error(ErrorKind::kPluginLoad, file + ": cannot resolve: " + why);
}

}  // namespace

Status Sha256File(const fs::path& file, std::string* hex) {
  if (sodium_init() < 0) return Status::Error(ErrorKind::kPluginLoad, "libsodium failed to initialise");
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::Error(ErrorKind::kPluginLoad, file.string() + ": cannot read");
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  char buffer[1 << 16];
  while (in.read(buffer, sizeof(buffer)) || in.gcount() > 0)
    crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(buffer), static_cast<size_t>(in.gcount()));
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&state, digest);
  char text[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(text, sizeof(text), digest, sizeof(digest));
  *hex = text;
  return Status::Ok();
}

TrustChecker::TrustChecker(TrustPolicy policy)
    : policy_(std::move(policy)), me_(geteuid()), private_groups_(me_) {}

Status TrustChecker::CheckFolders(const std::string& folder, const std::string& file) {
  if (trusted_folders_.count(folder)) return Status::Ok();
  // The plugin's own folder gets no sticky-bit leniency: anyone who can add
  // a file there can add a plugin.
  const fs::path own(folder);
  LM_RETURN_IF_ERROR(CheckOne(own, me_, private_groups_, file, /*sticky_ok=*/false));
  for (fs::path above = own.parent_path(); !above.empty(); above = above.parent_path()) {
    if (!trusted_above_.count(above.native())) {
      LM_RETURN_IF_ERROR(CheckOne(above, me_, private_groups_, file, /*sticky_ok=*/true));
      trusted_above_.insert(above.native());
    }
    if (above == above.root_path()) break;
  }
  trusted_folders_.insert(folder);
  return Status::Ok();
}

// The real folder of `file`, which is not a link. Resolving a path costs a
// readlink per component, so it is done once per folder for all the files
// in it; the text found stays in real_folders_.
Status TrustChecker::RealFolderOf(const std::string& file, const std::string** real_folder) {
  const std::string_view folder = FolderOf(file);
  auto known = real_folders_.find(folder);
  if (known == real_folders_.end()) {
    std::error_code error;
    const fs::path resolved = fs::canonical(fs::path(folder), error);
    if (error) return Unresolvable(file, error.message());
    known = real_folders_.emplace(std::string(folder), resolved.native()).first;
  }
  *real_folder = &known->second;
  return Status::Ok();
}

// The real file and folders are checked, not the links that lead there. A
// link is resolved whole; a plain file's real path is only spelled out for
// a refusal, as a thousand files are checked at every start.
Status TrustChecker::CheckResolved(const std::string& file, const struct stat& info, bool is_link) {
  std::string real;
  std::string link_folder;
  const std::string* real_folder = &link_folder;
  if (is_link) {
    std::error_code error;
    const fs::path resolved = fs::canonical(file, error);
    if (error) return Unresolvable(file, error.message());
    real = resolved.native();
    link_folder = resolved.parent_path().native();
  } else {
    LM_RETURN_IF_ERROR(RealFolderOf(file, &real_folder));
  }
  if (Assess(info, me_, private_groups_, /*sticky_ok=*/false) != Unsafe::kNo) {
    if (!is_link) {
      real = *real_folder;
      if (real.back() != '/') real += '/';
      real += NameOf(file);
    }
    return CheckStat(info, me_, private_groups_, real, file, /*sticky_ok=*/false);
  }
  return CheckFolders(*real_folder, file);
}

Status TrustChecker::CheckDigest(const std::string& file) const {
  if (policy_.allowed_sha256.empty()) return Status::Ok();
  std::string digest;
  LM_RETURN_IF_ERROR(Sha256File(file, &digest));
  if (!policy_.allowed_sha256.count(digest))
    return Status::Error(ErrorKind::kPluginLoad, "refusing " + file + ": its SHA-256 " + digest +
                                                     " is not in the config's trust.allowed_sha256 list");
  return Status::Ok();
}

Status TrustChecker::Check(const fs::path& file) {
  if (policy_.check_permissions) {
    struct stat info {};
    if (lstat(file.c_str(), &info) != 0)
      return Status::Error(ErrorKind::kPluginLoad, file.string() + ": cannot resolve: " + std::strerror(errno));
    const bool is_link = S_ISLNK(info.st_mode);
    if (is_link && stat(file.c_str(), &info) != 0)
      return Status::Error(ErrorKind::kPluginLoad, file.string() + ": cannot resolve: " + std::strerror(errno));
    LM_RETURN_IF_ERROR(CheckResolved(file.native(), info, is_link));
  }
  return CheckDigest(file.native());
}

Status TrustChecker::CheckNonLink(const std::string& file, const struct stat& info) {
  if (policy_.check_permissions)
    LM_RETURN_IF_ERROR(CheckResolved(file, info, /*is_link=*/false));
  return CheckDigest(file);
}

Status CheckTrusted(const fs::path& file, const TrustPolicy& policy) { return TrustChecker(policy).Check(file); }

}  // namespace lm
