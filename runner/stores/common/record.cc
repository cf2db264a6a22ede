#include "common/record.h"

#include <cstddef>

namespace lm::stores {

namespace {

// True when a caller's struct (of its own struct_size) contains `field`:
// callers built against an older header pass a shorter struct.
#define LM_HAS_FIELD(type, ptr, field) ((ptr)->struct_size >= offsetof(type, field) + sizeof((ptr)->field))

OptionalString Copy(const char* text) { return text == nullptr ? OptionalString() : OptionalString(text); }

const char* View(const OptionalString& text) { return text ? text->c_str() : nullptr; }

}  // namespace

bool IsValidState(int32_t state) { return StateName(state) != nullptr; }

namespace {

struct StateSpelling {
  int32_t state;
  const char* name;
};

constexpr StateSpelling kStates[] = {
    {LM_STATE_APPLIED, "applied"},
    {LM_STATE_RUNNING, "running"},
    {LM_STATE_FAILED_ROLLED_BACK, "failed-rolled-back"},
    {LM_STATE_FAILED_PARTIAL, "failed-partial"},
};

}  // namespace

const char* StateName(int32_t state) {
  for (const StateSpelling& spelling : kStates) {
    if (spelling.state == state) return spelling.name;
  }
  return nullptr;
}

bool StateFromName(std::string_view name, int32_t* state) {
  for (const StateSpelling& spelling : kStates) {
    if (name == spelling.name) {
      *state = spelling.state;
      return true;
    }
  }
  return false;
}

Status RecordFromC(const lm_record* in, Record* out) {
  if (in == nullptr) return Status::Error("record is NULL");
  if (!LM_HAS_FIELD(lm_record, in, version)) {
    return Status::Error("record struct_size " + std::to_string(in->struct_size) + " is too small to hold a version");
  }
  *out = Record();
  out->version = in->version;
  out->state = in->state;
  if (!IsValidState(out->state)) {
    return Status::Error("record of version " + std::to_string(in->version) + " has state " +
                         std::to_string(in->state) + ", which is not one of LM_STATE_*");
  }
  if (LM_HAS_FIELD(lm_record, in, name)) out->name = Copy(in->name);
  if (LM_HAS_FIELD(lm_record, in, checksum)) out->checksum = Copy(in->checksum);
  if (LM_HAS_FIELD(lm_record, in, applied_at)) out->applied_at = Copy(in->applied_at);
  if (LM_HAS_FIELD(lm_record, in, duration_ms)) out->duration_ms = in->duration_ms;
  if (LM_HAS_FIELD(lm_record, in, applied_by)) out->applied_by = Copy(in->applied_by);
  if (LM_HAS_FIELD(lm_record, in, runner_version)) out->runner_version = Copy(in->runner_version);
  if (LM_HAS_FIELD(lm_record, in, error)) out->error = Copy(in->error);
  if (LM_HAS_FIELD(lm_record, in, changelog_path)) out->changelog_path = Copy(in->changelog_path);
  if (LM_HAS_FIELD(lm_record, in, attempts)) out->attempts = in->attempts;
  if (LM_HAS_FIELD(lm_record, in, run_id)) out->run_id = Copy(in->run_id);
  return Status::Ok();
}

Status EventFromC(const lm_event* in, Event* out) {
  if (in == nullptr) return Status::Error("event is NULL");
  if (!LM_HAS_FIELD(lm_event, in, version)) {
    return Status::Error("event struct_size " + std::to_string(in->struct_size) + " is too small to hold a version");
  }
  *out = Event();
  out->version = in->version;
  if (LM_HAS_FIELD(lm_event, in, kind)) out->kind = Copy(in->kind);
  if (LM_HAS_FIELD(lm_event, in, name)) out->name = Copy(in->name);
  if (LM_HAS_FIELD(lm_event, in, at)) out->at = Copy(in->at);
  if (LM_HAS_FIELD(lm_event, in, by)) out->by = Copy(in->by);
  if (LM_HAS_FIELD(lm_event, in, duration_ms)) out->duration_ms = in->duration_ms;
  if (LM_HAS_FIELD(lm_event, in, detail)) out->detail = Copy(in->detail);
  if (LM_HAS_FIELD(lm_event, in, run_id)) out->run_id = Copy(in->run_id);
  return Status::Ok();
}

lm_record RecordToC(const Record& record) {
  lm_record out = {};
  out.struct_size = sizeof(lm_record);
  out.state = record.state;
  out.version = record.version;
  out.name = View(record.name);
  out.checksum = View(record.checksum);
  out.applied_at = View(record.applied_at);
  out.duration_ms = record.duration_ms;
  out.applied_by = View(record.applied_by);
  out.runner_version = View(record.runner_version);
  out.error = View(record.error);
  out.changelog_path = View(record.changelog_path);
  out.attempts = record.attempts;
  out.run_id = View(record.run_id);
  return out;
}

lm_event EventToC(const Event& event) {
  lm_event out = {};
  out.struct_size = sizeof(lm_event);
  out.version = event.version;
  out.kind = View(event.kind);
  out.name = View(event.name);
  out.at = View(event.at);
  out.by = View(event.by);
  out.duration_ms = event.duration_ms;
  out.detail = View(event.detail);
  out.run_id = View(event.run_id);
  return out;
}

}  // namespace lm::stores
