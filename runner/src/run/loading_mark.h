// Which plugin file a migrate worker is loading, kept in a page the worker
// shares with its supervisor. Plugins load on a second thread while steps
// run (AheadLoader), so when the worker dies the supervisor must know which
// thread ended it: a plugin's static initialiser, or the step running beside
// it. The worker notes the loading thread; a handler of the fatal signals and
// an exit handler note whether that thread was the one that died.
#ifndef LINK_MIGRATION_RUNNER_LOADING_MARK_H
#define LINK_MIGRATION_RUNNER_LOADING_MARK_H

#include <signal.h>

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lm {

class LoadingMark {
 public:
  // Made before the worker is forked, so that both sides map the same page.
  // Where no page can be had it marks nothing, and deaths are reported as
  // before.
  LoadingMark();
  ~LoadingMark();
  LoadingMark(const LoadingMark&) = delete;
  LoadingMark& operator=(const LoadingMark&) = delete;

  // The worker, once forked: from now on a fatal signal (SIGSEGV, SIGBUS,
  // SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS) or an exit() on the thread
  // loading a file is noted before the process ends as it would have. A
  // handler a plugin installs later replaces this one; such a death is then
  // the step's, as before.
  void WatchForDeaths();

  // The worker: `file` starts loading on the calling thread / has loaded (or
  // failed to).
  void Set(std::string_view file);
  void Clear();

  // The supervisor, once the worker has ended: the file whose loading ended
  // the worker, if that is how it ended.
  std::optional<std::string> DiedLoading() const;

 private:
  struct Page {
    std::atomic<uint32_t> loading;
    std::atomic<int32_t> loader_thread;  // kernel thread id
    std::atomic<uint32_t> died_loading;
    uint32_t size;
    char file[4080];
  };
  static void NoteDeath();
  static void OnFatalSignal(int signal_number, siginfo_t* info, void* context);

  Page* page_ = nullptr;
};

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_LOADING_MARK_H
