#include "run/loading_mark.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

namespace lm {
namespace {

static_assert(std::atomic<uint32_t>::is_always_lock_free && std::atomic<int32_t>::is_always_lock_free,
              "shared between processes, so they must not need a lock");

constexpr int kFatalSignals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS};

// The one mark a worker watches; a signal handler has no other way to it.
std::atomic<void*> watched_page{nullptr};

}  // namespace

LoadingMark::LoadingMark() {
  void* page = mmap(nullptr, sizeof(Page), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (page != MAP_FAILED) page_ = new (page) Page{};
}

LoadingMark::~LoadingMark() {
  if (page_ == nullptr) return;
  void* expected = page_;
  watched_page.compare_exchange_strong(expected, nullptr);
  munmap(page_, sizeof(Page));
}

void LoadingMark::WatchForDeaths() {
  if (page_ == nullptr) return;
  watched_page.store(page_);
  struct sigaction action {};
  action.sa_sigaction = &LoadingMark::OnFatalSignal;
  action.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_NODEFER;
  sigemptyset(&action.sa_mask);
  for (int signal_number : kFatalSignals) sigaction(signal_number, &action, nullptr);
  std::atexit(&LoadingMark::NoteDeath);
}

// Async-signal-safe: atomics in a mapped page and a system call.
void LoadingMark::NoteDeath() {
  auto* page = static_cast<Page*>(watched_page.load());
  if (page == nullptr || page->loading.load() == 0) return;
  if (page->loader_thread.load() == static_cast<int32_t>(gettid())) page->died_loading.store(1);
}

void LoadingMark::OnFatalSignal(int signal_number, siginfo_t* info, void*) {
  NoteDeath();
  // The handler is reset already (SA_RESETHAND). A fault returns to the
  // faulting instruction and faults again, so a core dump shows where it
  // happened; a signal sent (raise, abort, kill) is sent again, and
  // delivered at once (SA_NODEFER).
  if (info == nullptr || info->si_code <= 0) raise(signal_number);
}

void LoadingMark::Set(std::string_view file) {
  if (page_ == nullptr) return;
  page_->size = static_cast<uint32_t>(std::min(file.size(), sizeof page_->file));
  std::memcpy(page_->file, file.data(), page_->size);
  page_->loader_thread.store(static_cast<int32_t>(gettid()));
  page_->loading.store(1, std::memory_order_release);
}

void LoadingMark::Clear() {
  if (page_ != nullptr) page_->loading.store(0, std::memory_order_release);
}

std::optional<std::string> LoadingMark::DiedLoading() const {
  if (page_ == nullptr || page_->loading.load(std::memory_order_acquire) == 0 || page_->died_loading.load() == 0)
    return std::nullopt;
  return std::string(page_->file, page_->size);
}

}  // namespace lm
