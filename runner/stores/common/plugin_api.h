// Builds a store plugin's exported lm_store_api from a Store implementation:
//
//   extern "C" LM_EXPORT const lm_store_api link_migration_store =
//       lm::stores::MakeStoreApi<&OpenMyStore>("my-store", capabilities);
//
// Every entry point checks its arguments, catches every C++ exception, and
// turns a failed Status into the lm_result plus a one-line lm_error message.
// Optional entry points are NULL unless `capabilities` claims them.
#ifndef LINK_MIGRATION_STORES_COMMON_PLUGIN_API_H
#define LINK_MIGRATION_STORES_COMMON_PLUGIN_API_H

#include <link_migration/store.h>

#include <memory>

#include "common/store.h"

namespace lm::stores {

// Opens a store. `args` is complete: fields the caller's struct_size did not
// cover read as NULL / 0, and options_json is never NULL.
using OpenFunction = Status (*)(const lm_store_open_args& args, std::unique_ptr<Store>* out);

namespace internal {

lm_result Open(OpenFunction open, const lm_store_open_args* args, lm_store** out, lm_error* err);
void Close(lm_store* store);
lm_result ListRecords(lm_store* store, lm_record_visitor visit, void* user, lm_error* err);
lm_result PutRecord(lm_store* store, const lm_record* record, lm_error* err);
lm_result DeleteRecord(lm_store* store, int64_t version, lm_error* err);
lm_result AppendEvent(lm_store* store, const lm_event* event, lm_error* err);
lm_result ListEvents(lm_store* store, lm_event_visitor visit, void* user, lm_error* err);
lm_result Begin(lm_store* store, lm_error* err);
lm_result Commit(lm_store* store, lm_error* err);
lm_result Rollback(lm_store* store, lm_error* err);
int32_t InTransaction(lm_store* store);
lm_result Lock(lm_store* store, int64_t timeout_ms, lm_error* err);
lm_result Unlock(lm_store* store, lm_error* err);
void* NativeHandle(lm_store* store, const char* kind);

// One function per store, since lm_store_api.open carries no context.
template <OpenFunction kOpen>
lm_result OpenThunk(const lm_store_open_args* args, lm_store** out, lm_error* err) {
  return Open(kOpen, args, out, err);
}

}  // namespace internal

template <OpenFunction kOpen>
constexpr lm_store_api MakeStoreApi(const char* name, uint64_t capabilities) {
  auto has = [capabilities](uint64_t bit) { return (capabilities & bit) != 0; };
  lm_store_api api = {};
  api.struct_size = sizeof(lm_store_api);
  api.abi_version = LM_ABI_VERSION;
  api.capabilities = capabilities;
  api.name = name;
  api.open = &internal::OpenThunk<kOpen>;
  api.close = &internal::Close;
  api.list_records = &internal::ListRecords;
  api.put_record = &internal::PutRecord;
  api.delete_record = &internal::DeleteRecord;
  if (has(LM_STORE_CAP_HISTORY)) {
    api.append_event = &internal::AppendEvent;
    api.list_events = &internal::ListEvents;
  }
  if (has(LM_STORE_CAP_TRANSACTIONS)) {
    api.begin = &internal::Begin;
    api.commit = &internal::Commit;
    api.rollback = &internal::Rollback;
    api.in_transaction = &internal::InTransaction;
  }
  if (has(LM_STORE_CAP_LOCKING)) {
    api.lock = &internal::Lock;
    api.unlock = &internal::Unlock;
  }
  if (has(LM_STORE_CAP_NATIVE_HANDLE)) api.native_handle = &internal::NativeHandle;
  return api;
}

}  // namespace lm::stores

#endif  // LINK_MIGRATION_STORES_COMMON_PLUGIN_API_H
