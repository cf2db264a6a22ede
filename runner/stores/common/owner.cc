#include "common/owner.h"

#include <pwd.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <nlohmann/json.hpp>

namespace lm::stores {

namespace {

// True when the caller's lm_owner is large enough to contain `field`.
#define LM_OWNER_HAS(owner, field) ((owner)->struct_size >= offsetof(lm_owner, field) + sizeof((owner)->field))

std::string ProcessUser() {
  if (const struct passwd* entry = getpwuid(geteuid()); entry != nullptr && entry->pw_name) {
    return entry->pw_name;
  }
  if (const char* user = std::getenv("USER"); user != nullptr) return user;
  return "uid" + std::to_string(geteuid());
}

std::string ProcessHost() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "unknown-host";
  return name;
}

std::string StringField(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return (it != object.end() && it->is_string()) ? it->get<std::string>() : std::string();
}

}  // namespace

Owner OwnerFromArgs(const lm_owner* owner) {
  Owner result;
  if (owner != nullptr) {
    if (LM_OWNER_HAS(owner, user) && owner->user) result.user = owner->user;
    if (LM_OWNER_HAS(owner, host) && owner->host) result.host = owner->host;
    if (LM_OWNER_HAS(owner, pid)) result.pid = owner->pid;
    if (LM_OWNER_HAS(owner, run_id) && owner->run_id) result.run_id = owner->run_id;
    if (LM_OWNER_HAS(owner, started_at) && owner->started_at) result.started_at = owner->started_at;
  }
  if (result.user.empty()) result.user = ProcessUser();
  if (result.host.empty()) result.host = ProcessHost();
  if (result.pid <= 0) result.pid = getpid();
  return result;
}

std::string OwnerToLockFileText(const Owner& owner) {
  nlohmann::json text = {
      {"user", owner.user},
      {"host", owner.host},
      {"pid", owner.pid},
      {"run_id", owner.run_id},
      {"started_at", owner.started_at},
  };
  // Replace invalid UTF-8 rather than throw: the lock must not fail because a
  // host name is odd.
  return text.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string DescribeLockHolder(std::string_view lock_file_text) {
  if (lock_file_text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return "another process (it has not written its owner details yet)";
  }
  nlohmann::json holder = nlohmann::json::parse(lock_file_text, nullptr, /*allow_exceptions=*/false);
  if (!holder.is_object()) return "another process (the lock file holds no owner details)";

  std::string description = StringField(holder, "user");
  std::string host = StringField(holder, "host");
  if (!host.empty()) description += (description.empty() ? "" : "@") + host;
  if (auto pid = holder.find("pid"); pid != holder.end() && pid->is_number_integer()) {
    description += (description.empty() ? "pid " : " pid ") + std::to_string(pid->get<int64_t>());
  }
  if (std::string run_id = StringField(holder, "run_id"); !run_id.empty()) {
    description += " (run " + run_id + ")";
  }
  if (std::string since = StringField(holder, "started_at"); !since.empty()) {
    description += " since " + since;
  }
  return description.empty() ? "another process" : description;
}

}  // namespace lm::stores
