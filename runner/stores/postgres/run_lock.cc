#include "postgres/run_lock.h"

#include <algorithm>
#include <thread>

namespace lm::stores {

namespace {

constexpr size_t kMaxApplicationName = 63;  // NAMEDATALEN - 1
constexpr size_t kMinRunIdShown = 8;

std::string Printable(const std::string& text) {
  std::string result = text;
  for (char& c : result) {
    if (c < 32 || c > 126) c = '?';
  }
  return result;
}

}  // namespace

Status PollForLock(int64_t timeout_ms, std::chrono::milliseconds interval,
                   const std::function<Status(bool* acquired)>& attempt, bool* acquired) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(std::max<int64_t>(timeout_ms, 0));
  for (;;) {
    *acquired = false;
    LM_STORES_RETURN_IF_ERROR(attempt(acquired));
    if (*acquired) return Status::Ok();
    auto now = Clock::now();
    if (timeout_ms >= 0 && now >= deadline) return Status::Ok();
    auto pause = interval;
    if (timeout_ms >= 0) {
      pause = std::min(
          pause, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now) + std::chrono::milliseconds(1));
    }
    std::this_thread::sleep_for(pause);
  }
}

std::string ApplicationName(const Owner& owner) {
  const std::string prefix = "link-migration ";
  const std::string pid = " pid " + std::to_string(owner.pid);
  std::string who = Printable(owner.user + "@" + owner.host);
  std::string run = owner.run_id.empty() ? "" : " run " + Printable(owner.run_id);
  // The pid first, then enough of the run id to tell runs apart, then the
  // user and host, then the rest of the run id.
  const size_t run_reserved = std::min(run.size(), sizeof(" run ") - 1 + kMinRunIdShown);
  const size_t fixed = prefix.size() + pid.size() + run_reserved;
  if (fixed >= kMaxApplicationName) {
    who.clear();
  } else if (who.size() > kMaxApplicationName - fixed) {
    who.resize(kMaxApplicationName - fixed);
  }
  std::string name = prefix + who + pid;
  if (name.size() + run.size() > kMaxApplicationName)
    run.resize(kMaxApplicationName - std::min(name.size(), kMaxApplicationName));
  return name + run;
}

std::string GaveUpAfter(int64_t timeout_ms) { return "gave up after " + std::to_string(timeout_ms) + " ms"; }

}  // namespace lm::stores
