#include "common/plugin_api.h"

#include <link_migration/store_record.hpp>

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <string>

#include "common/error_buffer.h"

// The object behind the opaque handle the runner holds.
struct lm_store {
  std::unique_ptr<lm::stores::Store> impl;
};

namespace lm::stores::internal {

namespace {

// Runs `body`, which returns a Status, and reports its failure through err.
// The catch blocks allocate nothing, so they work even when memory ran out.
template <typename Body>
lm_result Guard(lm_error* err, Body&& body) noexcept {
  try {
    Status status = body();
    if (!status.ok()) SetError(err, status.message());
    return status.code();
  } catch (const std::bad_alloc&) {
    SetError(err, "out of memory");
  } catch (const std::exception& e) {
    char message[LM_ERROR_MESSAGE_MAX];
    std::snprintf(message, sizeof(message), "internal error in store: %s", e.what());
    SetError(err, message);
  } catch (...) {
    SetError(err, "internal error in store: unknown exception");
  }
  return LM_ERROR;
}

Status CheckStore(const lm_store* store) {
  if (store == nullptr || !store->impl) return Status::Error("store handle is NULL");
  return Status::Ok();
}

Status StoppedBy(const char* what, lm_result code) {
  return Status::FromCode(code == LM_OK ? LM_ERROR : code,
                          std::string(what) + " visitor stopped the listing with code " + std::to_string(code));
}

// The caller's args with every field present: a field beyond its
// struct_size reads as NULL / 0.
#define LM_ARGS_HAVE(args, field) ((args)->struct_size >= offsetof(lm_store_open_args, field) + sizeof((args)->field))

lm_store_open_args CompleteArgs(const lm_store_open_args& in) {
  lm_store_open_args args = {};
  args.struct_size = sizeof(args);
  if (LM_ARGS_HAVE(&in, options_json)) args.options_json = in.options_json;
  if (LM_ARGS_HAVE(&in, config_dir)) args.config_dir = in.config_dir;
  // NOLINTNEXTLINE(bugprone-sizeof-expression): the size of the pointer field is meant, not of what it points to.
  if (LM_ARGS_HAVE(&in, owner)) args.owner = in.owner;
  if (LM_ARGS_HAVE(&in, read_only)) args.read_only = in.read_only;
  if (LM_ARGS_HAVE(&in, option_key)) args.option_key = in.option_key;
  if (args.options_json == nullptr) args.options_json = "{}";
  return args;
}

// The option at fault into the runner's buffer, if it gave one; a key too
// long for it is written as "" (the options as a whole), never cut short
// into the name of another key.
void WriteOptionKey(const std::string& key, char* buffer) {
  if (buffer == nullptr) return;
  if (key.size() >= LM_OPTION_KEY_MAX) {
    buffer[0] = '\0';
    return;
  }
  std::memcpy(buffer, key.c_str(), key.size() + 1);
}

}  // namespace

lm_result Open(OpenFunction open, const lm_store_open_args* args, lm_store** out, lm_error* err) {
  return Guard(err, [&]() -> Status {
    if (out == nullptr) return Status::Error("open: out is NULL");
    *out = nullptr;
    if (args == nullptr) return Status::Error("open: args is NULL");
    auto handle = std::make_unique<lm_store>();
    const lm_store_open_args complete = CompleteArgs(*args);
    Status opened = open(complete, &handle->impl);
    if (opened.code() == LM_ERR_OPTION) WriteOptionKey(opened.option_key(), complete.option_key);
    LM_STORES_RETURN_IF_ERROR(opened);
    *out = handle.release();
    return Status::Ok();
  });
}

void Close(lm_store* store) {
  // Destruction releases the lock and the connection; nothing to report.
  try {
    delete store;
  } catch (...) {
  }
}

lm_result ListRecords(lm_store* store, lm_record_visitor visit, void* user, lm_error* err) {
  return Guard(err, [&]() -> Status {
    LM_STORES_RETURN_IF_ERROR(CheckStore(store));
    if (visit == nullptr) return Status::Error("list_records: visitor is NULL");
    return store->impl->ListRecordViews([&](const lm_record& view) -> Status {
      lm_result code = visit(user, &view);
      return code == LM_OK ? Status::Ok() : StoppedBy("record", code);
    });
  });
}

lm_result PutRecord(lm_store* store, const lm_record* record, lm_error* err) {
  return Guard(err, [&]() -> Status {
    LM_STORES_RETURN_IF_ERROR(CheckStore(store));
    Record copy;
    LM_STORES_RETURN_IF_ERROR(RecordFromC(record, &copy));
    return store->impl->PutRecord(copy);
  });
}

lm_result DeleteRecord(lm_store* store, int64_t version, lm_error* err) {
  return Guard(err, [&]() -> Status {
    LM_STORES_RETURN_IF_ERROR(CheckStore(store));
    return store->impl->DeleteRecord(version);
  });
}

lm_result AppendEvent(lm_store* store, const lm_event* event, lm_error* err) {
  return Guard(err, [&]() -> Status {
    LM_STORES_RETURN_IF_ERROR(CheckStore(store));
    Event copy;
    LM_STORES_RETURN_IF_ERROR(EventFromC(event, &copy));
    return store->impl->AppendEvent(copy);
  });
}

lm_result ListEvents(lm_store* store, lm_event_visitor visit, void* user, lm_error* err) {
  return Guard(err, [&]() -> Status {
    LM_STORES_RETURN_IF_ERROR(CheckStore(store));
    if (visit == nullptr) return Status::Error("list_events: visitor is NULL");
    return store->impl->ListEvents([&](const Event& event) -> Status {
      lm_event view = link_migration::store::event_to_c(event);
      lm_result code = visit(user, &view);
      return code == LM_OK ? Status::Ok() : StoppedBy("event", code);
    });
  });
}

lm_result Begin(lm_store* store, lm_error* err) {
  return Guard(err, [&]() -> Status {
    LM_STORES_RETURN_IF_ERROR(CheckStore(store));
    return store->impl->Begin();
  });
}

lm_result Commit(lm_store* store, lm_error* err) {
  return Guard(err, [&]() -> Status {
    LM_STORES_RETURN_IF_ERROR(CheckStore(store));
    return store->impl->Commit();
  });
}

lm_result Rollback(lm_store* store, lm_error* err) {
  return Guard(err, [&]() -> Status {
    LM_STORES_RETURN_IF_ERROR(CheckStore(store));
    return store->impl->Rollback();
  });
}

int32_t InTransaction(lm_store* store) {
  // No lm_error to report through: a failure to tell is "cannot tell".
  try {
    if (store == nullptr || !store->impl) return -1;
    return store->impl->InTransaction();
  } catch (...) {
    return -1;
  }
}

lm_result Lock(lm_store* store, int64_t timeout_ms, lm_error* err) {
  return Guard(err, [&]() -> Status {
    LM_STORES_RETURN_IF_ERROR(CheckStore(store));
    return store->impl->Lock(timeout_ms);
  });
}

lm_result Unlock(lm_store* store, lm_error* err) {
  return Guard(err, [&]() -> Status {
    LM_STORES_RETURN_IF_ERROR(CheckStore(store));
    return store->impl->Unlock();
  });
}

void* NativeHandle(lm_store* store, const char* kind) {
  try {
    if (store == nullptr || !store->impl || kind == nullptr) return nullptr;
    return store->impl->NativeHandle(kind);
  } catch (...) {
    return nullptr;
  }
}

}  // namespace lm::stores::internal
