#include "records_look.h"

#include <utility>

namespace lm {

RecordsLook::RecordsLook(const StoreOpenRequest& request) : config_(*request.config), request_(request) {
  request_.config = &config_;
  request_.read_only = true;
  request_.known_versions.clear();
  thread_ = std::thread([this] { Look(); });
}

RecordsLook::~RecordsLook() {
  if (thread_.joinable()) thread_.join();
}

void RecordsLook::Look() {
  // Nothing may escape a thread; a look that fails in any way is simply
  // not used, and the usual path meets the same problem and reports it.
  try {
    std::vector<std::string> warnings;
    if (!OpenVersionStore(request_, &store_, &warnings).ok() || !warnings.empty()) return;
    usable_ = store_->ListRecords(&records_).ok();
  } catch (...) {
    usable_ = false;
  }
}

bool RecordsLook::Take(std::unique_ptr<VersionStore>* store, std::vector<Record>* records) {
  if (thread_.joinable()) thread_.join();
  if (!usable_) return false;
  usable_ = false;
  *store = std::move(store_);
  *records = std::move(records_);
  return true;
}

}  // namespace lm
