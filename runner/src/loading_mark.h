// Which plugin file a migrate worker is loading, kept in a page the worker
// shares with its supervisor. Plugins load while steps run (AheadLoader), so
// a worker that dies inside a plugin's static initialisers would otherwise be
// reported as the death of the step running beside it.
#ifndef LINK_MIGRATION_RUNNER_LOADING_MARK_H
#define LINK_MIGRATION_RUNNER_LOADING_MARK_H

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

  // The worker: `file` starts loading / has loaded (or failed to).
  void Set(std::string_view file);
  void Clear();

  // The supervisor, once the worker has ended: the file it was loading.
  std::optional<std::string> Loading() const;

 private:
  struct Page {
    std::atomic<uint32_t> loading;
    uint32_t size;
    char file[4088];
  };
  Page* page_ = nullptr;
};

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_LOADING_MARK_H
