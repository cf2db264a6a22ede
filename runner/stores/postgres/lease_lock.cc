#include "postgres/lease_lock.h"

#include <random>
#include <utility>

#include "postgres/advisory_lock.h"

namespace lm::stores {

namespace {

// A lease row is taken with a write, so waiters poll a little less often
// than for an advisory lock.
constexpr std::chrono::milliseconds kPollInterval(100);

constexpr char kUtc[] = "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'";

std::string NewToken() {
  std::random_device entropy;
  std::string token;
  for (int i = 0; i < 32; ++i) token += "0123456789abcdef"[entropy() % 16];
  return token;
}

}  // namespace

LeaseLock::LeaseLock(ConnectParams connect, std::string table, int64_t advisory_key, Owner owner, int lease_seconds)
    : connect_(std::move(connect)),
      table_(std::move(table)),
      advisory_key_(advisory_key),
      owner_(std::move(owner)),
      lease_seconds_(lease_seconds) {}

LeaseLock::~LeaseLock() { (void)Unlock(); }

Status LeaseLock::Connect() {
  if (connection_ && !connection_->Broken()) return Status::Ok();
  if (connection_) return connection_->Reset();
  return PgConnection::Open(connect_, &connection_);
}

Status LeaseLock::Lock(int64_t timeout_ms) {
  if (held_) return Status::Ok();
  LM_STORES_RETURN_IF_ERROR(Connect());
  token_ = NewToken();
  bool acquired = false;
  LM_STORES_RETURN_IF_ERROR(PollForLock(
      timeout_ms, kPollInterval, [this](bool* got) { return TryAcquire(got); }, &acquired));
  if (!acquired) {
    return Status::LockTimeout("lease lock " + table_ + " is held by " + DescribeHolder() + "; " +
                               GaveUpAfter(timeout_ms));
  }
  held_ = true;
  StartHeartbeat();
  return Status::Ok();
}

Status LeaseLock::TryAcquire(bool* acquired) {
  // now() is the server's clock, the same for every runner on any host.
  PgResult result;
  LM_STORES_RETURN_IF_ERROR(connection_->Exec(
      "cannot take the lease lock",
      "INSERT INTO " + table_ +
          " AS held (id, token, user_name, host, pid, run_id, started_at, acquired_at, expires_at) "
          "VALUES (1, $1, $2, $3, $4::bigint, $5, $6, now(), now() + make_interval(secs => $7::float8)) "
          "ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token, user_name = EXCLUDED.user_name, "
          "host = EXCLUDED.host, pid = EXCLUDED.pid, run_id = EXCLUDED.run_id, started_at = EXCLUDED.started_at, "
          "acquired_at = EXCLUDED.acquired_at, expires_at = EXCLUDED.expires_at "
          "WHERE held.expires_at <= now() OR (EXCLUDED.run_id <> '' AND held.run_id = EXCLUDED.run_id) "
          "RETURNING token",
      {token_, owner_.user, owner_.host, std::to_string(owner_.pid), owner_.run_id,
       owner_.started_at.empty() ? OptionalString() : OptionalString(owner_.started_at),
       std::to_string(lease_seconds_)},
      &result));
  if (result.rows() != 1) return Status::Ok();
  // A runner of the other lock mode may hold the store's advisory lock.
  std::string session;
  Status checked = FindAdvisoryHolder(*connection_, advisory_key_, &session);
  if (checked.ok() && session.empty()) {
    *acquired = true;
    return Status::Ok();
  }
  (void)connection_->Exec("cannot release the lease lock", "DELETE FROM " + table_ + " WHERE id = 1 AND token = $1",
                          {token_});
  return checked;
}

std::string LeaseLock::DescribeHolder() {
  std::string holder;
  Status status = FindLiveLease(*connection_, table_, &holder);
  if (!status.ok()) return "another runner (" + status.message() + ")";
  if (!holder.empty()) return holder;
  status = FindAdvisoryHolder(*connection_, advisory_key_, &holder);
  if (!status.ok()) return "another runner (" + status.message() + ")";
  if (!holder.empty()) {
    return holder + ", through the store's advisory lock " + std::to_string(advisory_key_) +
           " (this runner uses \"lock\": \"lease\"; every runner of one store must use the same lock mode)";
  }
  return "another runner, which released it just now";
}

Status FindLiveLease(PgConnection& connection, const std::string& table, std::string* description) {
  description->clear();
  PgResult exists;
  LM_STORES_RETURN_IF_ERROR(
      connection.Exec("cannot look for the lease table", "SELECT to_regclass($1) IS NOT NULL", {table}, &exists));
  if (!exists.Bool(0, 0)) return Status::Ok();
  PgResult result;
  LM_STORES_RETURN_IF_ERROR(
      connection.Exec("cannot look up the lease holder",
                      std::string("SELECT user_name, host, pid, run_id, to_char(acquired_at AT TIME ZONE 'UTC', ") +
                          kUtc + "), to_char(expires_at AT TIME ZONE 'UTC', " + kUtc +
                          "), round(extract(epoch FROM expires_at - now())::numeric, 1) FROM " + table +
                          " WHERE id = 1 AND expires_at > now()",
                      {}, &result));
  if (result.rows() == 0) return Status::Ok();
  *description = result.Text(0, 0).value_or("?") + "@" + result.Text(0, 1).value_or("?") + " pid " +
                 result.Text(0, 2).value_or("?");
  if (OptionalString run = result.Text(0, 3); run && !run->empty()) *description += " (run " + *run + ")";
  *description += " since " + result.Text(0, 4).value_or("?") + ", lease expires at " +
                  result.Text(0, 5).value_or("?") + " (in " + result.Text(0, 6).value_or("?") + " s) unless renewed";
  return Status::Ok();
}

Status LeaseLock::Unlock() {
  if (!held_) return Status::Ok();
  StopHeartbeat();
  held_ = false;
  Status connected = Connect();
  if (!connected.ok()) {
    return Status::FromCode(connected.code(), "cannot release the lease lock " + table_ +
                                                  " (it expires by itself within " + std::to_string(lease_seconds_) +
                                                  " s): " + connected.message());
  }
  // Only our own row: after a takeover it belongs to someone else.
  return connection_->Exec("cannot release the lease lock " + table_,
                           "DELETE FROM " + table_ + " WHERE id = 1 AND token = $1", {token_});
}

Status LeaseLock::CheckInTransaction(PgConnection& store_connection) {
  // FOR SHARE: nobody can take the row over until our transaction ends, so
  // what commits, commits under the lock.
  PgResult result;
  LM_STORES_RETURN_IF_ERROR(store_connection.Exec("cannot check the lease lock",
                                                  "SELECT 1 FROM " + table_ + " WHERE id = 1 AND token = $1 FOR SHARE",
                                                  {token_}, &result));
  if (result.rows() == 1) return Status::Ok();
  return Status::Error(LostMessage());
}

Status LeaseLock::CheckNotLost() {
  std::lock_guard<std::mutex> guard(mutex_);
  return lost_.empty() ? Status::Ok() : Status::Error(lost_);
}

std::string LeaseLock::LostMessage() {
  std::lock_guard<std::mutex> guard(mutex_);
  std::string message = "the lease lock " + table_ + " is no longer held by this run";
  if (!lost_.empty()) return lost_;
  if (!last_error_.empty()) message += " (renewing it failed: " + last_error_ + ")";
  return message + "; it expired and another runner may have taken over, so nothing was committed";
}

void LeaseLock::StartHeartbeat() {
  {
    std::lock_guard<std::mutex> guard(mutex_);
    stop_ = false;
    lost_.clear();
    last_error_.clear();
  }
  heartbeat_ = std::thread([this] { Heartbeat(); });
}

void LeaseLock::StopHeartbeat() {
  {
    std::lock_guard<std::mutex> guard(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (heartbeat_.joinable()) heartbeat_.join();
}

void LeaseLock::Heartbeat() {
  const auto interval = std::chrono::milliseconds(lease_seconds_ * 1000 / 3);
  std::unique_lock<std::mutex> lock(mutex_);
  while (!wake_.wait_for(lock, interval, [this] { return stop_; })) {
    lock.unlock();
    bool ours = true;
    Status renewed = Connect();
    if (renewed.ok()) renewed = Extend(&ours);
    lock.lock();
    if (!renewed.ok()) {
      // Keep trying: the lease stays ours until it expires, and the
      // connection may come back before then.
      last_error_ = renewed.message();
    } else if (!ours) {
      lost_ = "the lease lock " + table_ + " was taken over by another runner (after it expired" +
              (last_error_.empty() ? std::string() : ", renewing having failed with: " + last_error_) +
              "; or by a runner of the same run id)";
      return;
    } else {
      last_error_.clear();
    }
  }
}

Status LeaseLock::Extend(bool* ours) {
  PgResult result;
  LM_STORES_RETURN_IF_ERROR(connection_->Exec(
      "cannot renew the lease lock",
      "UPDATE " + table_ + " SET expires_at = now() + make_interval(secs => $2::float8) WHERE id = 1 AND token = $1",
      {token_, std::to_string(lease_seconds_)}, &result));
  *ours = result.AffectedRows() == 1;
  return Status::Ok();
}

}  // namespace lm::stores
