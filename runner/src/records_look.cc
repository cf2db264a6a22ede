#include "records_look.h"

#include <memory>

namespace lm {

Status TakeSnapshot(const StoreOpenRequest& request, RecordsSnapshot* snapshot, std::vector<std::string>* warnings) {
  std::unique_ptr<VersionStore> store;
  LM_RETURN_IF_ERROR(OpenVersionStore(request, &store, warnings));
  snapshot->store_name = store->name();
  return store->ListRecords(&snapshot->records);
}

}  // namespace lm
