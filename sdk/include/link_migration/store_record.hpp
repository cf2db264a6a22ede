// link-migration C++ helpers for the records and events of store.h: copy an
// lm_record or lm_event into a struct of your own, and lend that struct back
// as the C struct. The field list is written here once; the runner, the
// shipped stores and the store conformance suite all convert through it.
//
// Your struct has members named as in the C struct: integers for the
// integer fields (the state may be an enum of int32_t), and for the strings
// either std::string (NULL reads as "", and "" is lent as NULL) or
// std::optional<std::string> (NULL stays NULL both ways).
//
//   struct MyRecord { int64_t version = 0; int32_t state = 0; std::string name; ... };
//   MyRecord copy;
//   if (!link_migration::store::from_c(*record, &copy)) return LM_ERROR;  // no version
//   lm_record view = link_migration::store::record_to_c(copy);  // borrows copy's strings
//
// Header-only; nothing here allocates across the boundary or throws on its
// own (copying a string may throw std::bad_alloc, as any copy does).
#ifndef LINK_MIGRATION_STORE_RECORD_HPP
#define LINK_MIGRATION_STORE_RECORD_HPP

#include <link_migration/store.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace link_migration::store {

namespace detail {

inline void assign_text(const char* text, std::string* out) {
  if (text != nullptr) {
    out->assign(text);
  } else {
    out->clear();
  }
}

inline void assign_text(const char* text, std::optional<std::string>* out) {
  if (text != nullptr) {
    out->emplace(text);
  } else {
    out->reset();
  }
}

inline const char* lend_text(const std::string& text) { return text.empty() ? nullptr : text.c_str(); }
inline const char* lend_text(const std::optional<std::string>& text) { return text ? text->c_str() : nullptr; }

}  // namespace detail

// Copies `in` into `*out`, which should be freshly made: fields beyond the
// caller's struct_size keep the values *out has. False, with *out untouched,
// when the struct is too small to hold even its version.
template <class Record>
bool from_c(const lm_record& in, Record* out) {
// A caller built against an older header passes a shorter struct.
#define LM_RECORD_HOLDS(field) (in.struct_size >= offsetof(lm_record, field) + sizeof(in.field))
  if (!LM_RECORD_HOLDS(version)) return false;
  out->version = in.version;
  out->state = static_cast<decltype(out->state)>(in.state);
  if (LM_RECORD_HOLDS(name)) detail::assign_text(in.name, &out->name);
  if (LM_RECORD_HOLDS(checksum)) detail::assign_text(in.checksum, &out->checksum);
  if (LM_RECORD_HOLDS(applied_at)) detail::assign_text(in.applied_at, &out->applied_at);
  if (LM_RECORD_HOLDS(duration_ms)) out->duration_ms = in.duration_ms;
  if (LM_RECORD_HOLDS(applied_by)) detail::assign_text(in.applied_by, &out->applied_by);
  if (LM_RECORD_HOLDS(runner_version)) detail::assign_text(in.runner_version, &out->runner_version);
  if (LM_RECORD_HOLDS(error)) detail::assign_text(in.error, &out->error);
  if (LM_RECORD_HOLDS(changelog_path)) detail::assign_text(in.changelog_path, &out->changelog_path);
  if (LM_RECORD_HOLDS(attempts)) out->attempts = in.attempts;
  if (LM_RECORD_HOLDS(run_id)) detail::assign_text(in.run_id, &out->run_id);
#undef LM_RECORD_HOLDS
  return true;
}

// As for records.
template <class Event>
bool from_c(const lm_event& in, Event* out) {
#define LM_EVENT_HOLDS(field) (in.struct_size >= offsetof(lm_event, field) + sizeof(in.field))
  if (!LM_EVENT_HOLDS(version)) return false;
  out->version = in.version;
  if (LM_EVENT_HOLDS(kind)) detail::assign_text(in.kind, &out->kind);
  if (LM_EVENT_HOLDS(name)) detail::assign_text(in.name, &out->name);
  if (LM_EVENT_HOLDS(at)) detail::assign_text(in.at, &out->at);
  if (LM_EVENT_HOLDS(by)) detail::assign_text(in.by, &out->by);
  if (LM_EVENT_HOLDS(duration_ms)) out->duration_ms = in.duration_ms;
  if (LM_EVENT_HOLDS(detail)) detail::assign_text(in.detail, &out->detail);
  if (LM_EVENT_HOLDS(run_id)) detail::assign_text(in.run_id, &out->run_id);
#undef LM_EVENT_HOLDS
  return true;
}

// A view of `record` as the C struct, of this header's struct_size. It
// borrows record's strings: valid while record is alive and unchanged.
template <class Record>
lm_record record_to_c(const Record& record) {
  lm_record out = {};
  out.struct_size = sizeof(lm_record);
  out.state = static_cast<int32_t>(record.state);
  out.version = record.version;
  out.name = detail::lend_text(record.name);
  out.checksum = detail::lend_text(record.checksum);
  out.applied_at = detail::lend_text(record.applied_at);
  out.duration_ms = record.duration_ms;
  out.applied_by = detail::lend_text(record.applied_by);
  out.runner_version = detail::lend_text(record.runner_version);
  out.error = detail::lend_text(record.error);
  out.changelog_path = detail::lend_text(record.changelog_path);
  out.attempts = record.attempts;
  out.run_id = detail::lend_text(record.run_id);
  return out;
}

// As for records.
template <class Event>
lm_event event_to_c(const Event& event) {
  lm_event out = {};
  out.struct_size = sizeof(lm_event);
  out.version = event.version;
  out.kind = detail::lend_text(event.kind);
  out.name = detail::lend_text(event.name);
  out.at = detail::lend_text(event.at);
  out.by = detail::lend_text(event.by);
  out.duration_ms = event.duration_ms;
  out.detail = detail::lend_text(event.detail);
  out.run_id = detail::lend_text(event.run_id);
  return out;
}

}  // namespace link_migration::store

#endif  // LINK_MIGRATION_STORE_RECORD_HPP
