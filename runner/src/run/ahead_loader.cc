#include "run/ahead_loader.h"

#include <utility>

namespace lm {

AheadLoader::AheadLoader(Catalog& catalog, std::vector<PluginFileLoad> loads, LoadingMark* mark)
    : catalog_(catalog), loads_(std::move(loads)), mark_(mark) {
  for (size_t i = 0; i < loads_.size(); ++i)
    for (const Migration* migration : loads_[i].migrations) load_of_.emplace(migration, i);
}

AheadLoader::~AheadLoader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  thread_.Join();
}

void AheadLoader::Start() {
  if (on_thread_ || !WorthAThread()) return;
  on_thread_ = thread_.Start([this] { LoadInOrder(); });
}

void AheadLoader::LoadInOrder() {
  // Started once nothing else loads: loaded_ is ours to read until we lock.
  for (size_t i = loaded_; i < loads_.size(); ++i) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stop_) return;
    }
    Status loaded = LoadOne(i);
    std::lock_guard<std::mutex> lock(mutex_);
    if (!loaded.ok()) {
      failure_ = std::move(loaded);
      failed_ = true;
      progressed_.notify_all();
      return;
    }
    loaded_ = i + 1;
    progressed_.notify_all();
  }
}

Status AheadLoader::LoadOne(size_t index) {
  if (mark_ != nullptr) mark_->Set(loads_[index].file);
  Status loaded = catalog_.LoadFile(loads_[index]);
  if (mark_ != nullptr) mark_->Clear();
  return loaded;
}

Status AheadLoader::Ready(const Migration& migration) {
  auto found = load_of_.find(&migration);
  if (found == load_of_.end()) return Status::Ok();
  return ReadyUpTo(found->second);
}

size_t AheadLoader::loaded_count() {
  std::lock_guard<std::mutex> lock(mutex_);
  return loaded_;
}

Status AheadLoader::ReadyAll() { return loads_.empty() ? Status::Ok() : ReadyUpTo(loads_.size() - 1); }

Status AheadLoader::ReadyUpTo(size_t index) {
  if (!on_thread_) {
    // Nothing else loads: whatever is missing loads here, in order.
    for (; loaded_ <= index; ++loaded_) LM_RETURN_IF_ERROR(LoadOne(loaded_));
    return Status::Ok();
  }
  std::unique_lock<std::mutex> lock(mutex_);
  progressed_.wait(lock, [&] { return loaded_ > index || failed_; });
  if (loaded_ > index) return Status::Ok();
  return failure_;
}

}  // namespace lm
