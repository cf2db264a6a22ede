#include "postgres/advisory_lock.h"

#include <cstring>

#include "postgres/lease_lock.h"

namespace lm::stores {

namespace {

// How often a waiting Lock retries: a freed lock is taken quickly, and an
// idle poll costs the server next to nothing.
constexpr std::chrono::milliseconds kPollInterval(50);

}  // namespace

int64_t AdvisoryLockKey(const std::string& purpose, const std::string& schema, const std::string& table_prefix) {
  uint64_t hash = 14695981039346656037ull;  // FNV-1a, 64 bits
  auto mix = [&hash](const std::string& text) {
    // Each part with its terminating NUL, so ("ab", "c") and ("a", "bc") differ.
    for (size_t i = 0; i <= text.size(); ++i) {
      hash ^= static_cast<unsigned char>(text.c_str()[i]);
      hash *= 1099511628211ull;
    }
  };
  mix(purpose);
  mix(schema);
  mix(table_prefix);
  int64_t key;
  std::memcpy(&key, &hash, sizeof(key));
  return key;
}

Status AdvisoryLock::Lock(int64_t timeout_ms) {
  if (held_) return Status::Ok();
  bool acquired = false;
  LM_STORES_RETURN_IF_ERROR(PollForLock(
      timeout_ms, kPollInterval, [this](bool* got) { return TryOnce(got); }, &acquired));
  if (acquired) {
    held_ = true;
    return Status::Ok();
  }
  return Status::LockTimeout("advisory lock " + std::to_string(key_) + " on " + what_ + " is held by " +
                             DescribeHolder() + "; " + GaveUpAfter(timeout_ms));
}

Status AdvisoryLock::TryOnce(bool* acquired) {
  // Never pg_advisory_lock: it blocks in the server, beyond any timeout.
  PgResult result;
  LM_STORES_RETURN_IF_ERROR(connection_->Exec(
      "cannot take the advisory lock", "SELECT pg_try_advisory_lock($1::bigint)", {std::to_string(key_)}, &result));
  if (result.rows() != 1 || !result.Bool(0, 0)) return Status::Ok();
  // A runner of the other lock mode may hold the store through a lease.
  std::string lease;
  Status checked = FindLiveLease(*connection_, lease_table_, &lease);
  if (checked.ok() && lease.empty()) {
    *acquired = true;
    return Status::Ok();
  }
  (void)connection_->Exec("cannot release the advisory lock", "SELECT pg_advisory_unlock($1::bigint)",
                          {std::to_string(key_)});
  return checked;
}

Status AdvisoryLock::Unlock() {
  if (!held_) return Status::Ok();
  held_ = false;
  PgResult result;
  LM_STORES_RETURN_IF_ERROR(connection_->Exec(
      "cannot release the advisory lock", "SELECT pg_advisory_unlock($1::bigint)", {std::to_string(key_)}, &result));
  if (result.rows() != 1 || !result.Bool(0, 0)) {
    return Status::Error("advisory lock " + std::to_string(key_) + " on " + what_ +
                         " was not held by this session when released");
  }
  return Status::Ok();
}

std::string AdvisoryLock::DescribeHolder() {
  std::string holder;
  Status status = FindAdvisoryHolder(*connection_, key_, &holder);
  if (!status.ok()) return "another session (" + status.message() + ")";
  if (!holder.empty()) return holder;
  status = FindLiveLease(*connection_, lease_table_, &holder);
  if (!status.ok()) return "another session (" + status.message() + ")";
  if (!holder.empty()) {
    return holder + ", through a lease in " + lease_table_ +
           " (this runner uses \"lock\": \"advisory\"; every runner of one store must use the same lock mode)";
  }
  return "another session, which released it just now";
}

Status FindAdvisoryHolder(PgConnection& connection, int64_t key, std::string* description) {
  description->clear();
  // An int8 advisory key shows in pg_locks as classid (high half), objid
  // (low half) and objsubid 1. Client details of another role's session
  // need pg_read_all_stats; application_name is visible to everyone.
  const uint64_t bits = static_cast<uint64_t>(key);
  PgResult result;
  LM_STORES_RETURN_IF_ERROR(
      connection.Exec("cannot look up the lock holder",
                      "SELECT a.pid, a.application_name, host(a.client_addr), a.client_port, "
                      "to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), a.usename "
                      "FROM pg_catalog.pg_locks l LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid "
                      "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
                      "AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid "
                      "AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()) "
                      "LIMIT 1",
                      {std::to_string(bits >> 32), std::to_string(bits & 0xffffffffu)}, &result));
  if (result.rows() == 0) return Status::Ok();

  std::string application = result.Text(0, 1).value_or("");
  *description = application.empty() ? "a session with no application_name" : "\"" + application + "\"";
  *description += " (server pid " + result.Text(0, 0).value_or("?");
  if (OptionalString user = result.Text(0, 5)) *description += ", role " + *user;
  if (OptionalString address = result.Text(0, 2)) {
    *description += ", client " + *address;
    if (OptionalString port = result.Text(0, 3)) *description += ":" + *port;
  } else if (result.Text(0, 4)) {
    *description += ", local socket";
  }
  if (OptionalString since = result.Text(0, 4)) *description += ", connected since " + *since;
  *description += ")";
  return Status::Ok();
}

}  // namespace lm::stores
