// Owned copies of lm_record and lm_event, and the checks at the C boundary.
// Strings are optional so that a NULL stored is a NULL returned.
#ifndef LINK_MIGRATION_STORES_COMMON_RECORD_H
#define LINK_MIGRATION_STORES_COMMON_RECORD_H

#include <link_migration/store.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace lm::stores {

using OptionalString = std::optional<std::string>;

struct Record {
  int64_t version = 0;
  int32_t state = LM_STATE_APPLIED;
  OptionalString name;
  OptionalString checksum;
  OptionalString applied_at;
  int64_t duration_ms = 0;
  OptionalString applied_by;
  OptionalString runner_version;
  OptionalString error;
  OptionalString changelog_path;
  int32_t attempts = 0;
  OptionalString run_id;
};

struct Event {
  int64_t version = 0;
  OptionalString kind;
  OptionalString name;
  OptionalString at;
  OptionalString by;
  int64_t duration_ms = 0;
  OptionalString detail;
  OptionalString run_id;
};

// True when `state` is one of LM_STATE_*.
bool IsValidState(int32_t state);

// How stores spell a state for people reading the store directly:
// "applied", "running", "failed-rolled-back", "failed-partial". StateName
// returns NULL for an invalid state; StateFromName false for an unknown name.
const char* StateName(int32_t state);
bool StateFromName(std::string_view name, int32_t* state);

// Copy a caller's struct (with link_migration/store_record.hpp, as the
// runner does). Fields beyond its struct_size take their defaults; a NULL
// struct, one too small to hold its version, or a record with an unknown
// state, is refused. The other way, views for a visitor are
// link_migration::store::record_to_c and event_to_c.
Status RecordFromC(const lm_record* in, Record* out);
Status EventFromC(const lm_event* in, Event* out);

}  // namespace lm::stores

#endif  // LINK_MIGRATION_STORES_COMMON_RECORD_H
