#include "loading_mark.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <new>

namespace lm {

static_assert(std::atomic<uint32_t>::is_always_lock_free, "shared between processes, so it must not need a lock");

LoadingMark::LoadingMark() {
  void* page = mmap(nullptr, sizeof(Page), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (page != MAP_FAILED) page_ = new (page) Page{};
}

LoadingMark::~LoadingMark() {
  if (page_ != nullptr) munmap(page_, sizeof(Page));
}

void LoadingMark::Set(std::string_view file) {
  if (page_ == nullptr) return;
  page_->size = static_cast<uint32_t>(std::min(file.size(), sizeof page_->file));
  std::memcpy(page_->file, file.data(), page_->size);
  page_->loading.store(1, std::memory_order_release);
}

void LoadingMark::Clear() {
  if (page_ != nullptr) page_->loading.store(0, std::memory_order_release);
}

std::optional<std::string> LoadingMark::Loading() const {
  if (page_ == nullptr || page_->loading.load(std::memory_order_acquire) == 0) return std::nullopt;
  return std::string(page_->file, page_->size);
}

}  // namespace lm
