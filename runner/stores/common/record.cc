#include "common/record.h"

#include <link_migration/store_record.hpp>

namespace lm::stores {

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
  *out = Record();
  if (!link_migration::store::from_c(*in, out)) {
    return Status::Error("record struct_size " + std::to_string(in->struct_size) + " is too small to hold a version");
  }
  if (!IsValidState(out->state)) {
    return Status::Error("record of version " + std::to_string(in->version) + " has state " +
                         std::to_string(in->state) + ", which is not one of LM_STATE_*");
  }
  return Status::Ok();
}

Status EventFromC(const lm_event* in, Event* out) {
  if (in == nullptr) return Status::Error("event is NULL");
  *out = Event();
  if (!link_migration::store::from_c(*in, out)) {
    return Status::Error("event struct_size " + std::to_string(in->struct_size) + " is too small to hold a version");
  }
  return Status::Ok();
}

}  // namespace lm::stores
