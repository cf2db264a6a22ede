#include "common/store.h"

#include <link_migration/store_record.hpp>

namespace lm::stores {

namespace {

Status NotOffered(const char* what) { return Status::Unsupported(std::string("this store does not offer ") + what); }

}  // namespace

Status Store::ListRecordViews(const RecordViewVisitor& visit) {
  return ListRecords([&](const Record& record) { return visit(link_migration::store::record_to_c(record)); });
}

Status Store::AppendEvent(const Event&) { return NotOffered("history"); }
Status Store::ListEvents(const EventVisitor&) { return NotOffered("history"); }
Status Store::Begin() { return NotOffered("transactions"); }
Status Store::Commit() { return NotOffered("transactions"); }
Status Store::Rollback() { return NotOffered("transactions"); }
int32_t Store::InTransaction() { return -1; }
Status Store::Lock(int64_t) { return NotOffered("locking"); }
Status Store::Unlock() { return NotOffered("locking"); }
void* Store::NativeHandle(const char*) { return nullptr; }

Status ReadOnlyError(const char* operation, const std::string& store_path) {
  return Status::Error(std::string(operation) + ": store " + store_path + " was opened read-only");
}

}  // namespace lm::stores
