// The C++ interface each shipped store implements. plugin_api.h turns one of
// these into the C lm_store_api, so a store's code never deals with
// lm_error, visitors' C signatures, or exceptions crossing the boundary.
#ifndef LINK_MIGRATION_STORES_COMMON_STORE_H
#define LINK_MIGRATION_STORES_COMMON_STORE_H

#include <cstdint>
#include <functional>
#include <string>

#include "common/record.h"
#include "common/status.h"

namespace lm::stores {

// Return a non-OK Status to stop a listing; the listing then returns it.
using RecordVisitor = std::function<Status(const Record&)>;
// A row lent as the C struct, valid only during the call.
using RecordViewVisitor = std::function<Status(const lm_record&)>;
using EventVisitor = std::function<Status(const Event&)>;

// Contracts are those of the matching lm_store_api functions (store.h).
// Operations a store does not offer keep the default, LM_ERR_UNSUPPORTED;
// the capability bits in its lm_store_api say which those are.
class Store {
 public:
  virtual ~Store() = default;

  virtual Status ListRecords(const RecordVisitor& visit) = 0;
  // What list_records hands the runner. Stores that can lend a row's text
  // without copying it override this (a status of 10,000 versions copies
  // every string twice otherwise); the default lends views of ListRecords.
  virtual Status ListRecordViews(const RecordViewVisitor& visit);
  virtual Status PutRecord(const Record& record) = 0;
  virtual Status DeleteRecord(int64_t version) = 0;

  virtual Status AppendEvent(const Event& event);
  virtual Status ListEvents(const EventVisitor& visit);

  virtual Status Begin();
  virtual Status Commit();
  virtual Status Rollback();
  // 1, 0 or -1, as lm_store_api.in_transaction. The default, -1 ("cannot
  // tell"), is the safe answer for a store that does not know: the runner
  // then tries a rollback and believes only its success.
  virtual int32_t InTransaction();

  virtual Status Lock(int64_t timeout_ms);
  virtual Status Unlock();

  // NULL for any kind the store does not have.
  virtual void* NativeHandle(const char* kind);
};

// The error of a change attempted on a store opened read-only.
Status ReadOnlyError(const char* operation, const std::string& store_path);

}  // namespace lm::stores

#endif  // LINK_MIGRATION_STORES_COMMON_STORE_H
