#include "store/version_store.h"

namespace lm {

const char* VersionStateName(VersionState state) {
  switch (state) {
    case VersionState::kApplied:
      return "applied";
    case VersionState::kRunning:
      return "running";
    case VersionState::kFailedRolledBack:
      return "failed-rolled-back";
    case VersionState::kFailedPartial:
      return "failed-partial";
  }
  return "unknown";
}

}  // namespace lm
