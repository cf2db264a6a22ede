// Planning: which steps, in which order, take the target where asked.
#ifndef LINK_MIGRATION_RUNNER_PLAN_H
#define LINK_MIGRATION_RUNNER_PLAN_H

#include <cstdint>
#include <optional>
#include <vector>

#include "catalog/catalog.h"
#include "base/status.h"
#include "store/version_store.h"

namespace lm {

enum class Direction { kUp, kDown };
const char* DirectionName(Direction direction);  // "up" / "down"

struct MigrateRequest {
  enum class Mode {
    kUp,    // apply pending versions (all, or max_steps of them)
    kDown,  // revert applied versions (all, or max_steps of them)
    kTo,    // end with exactly the versions <= target applied
  };
  Mode mode = Mode::kUp;
  int64_t target = 0;                // kTo only; 0 means everything reverted
  std::optional<int64_t> max_steps;  // kUp / kDown only
  bool dry_run = false;
  bool validate = true;             // refuse to run on drift (see drift.h)
  bool allow_out_of_order = false;  // apply pending versions older than the newest applied
  bool group = false;               // the whole run in one store transaction
};

struct PlannedStep {
  const Migration* migration = nullptr;
  Direction direction = Direction::kUp;
  int32_t previous_attempts = 0;  // from a failed-rolled-back record
};

struct Plan {
  int64_t current_version = 0;  // highest applied version before the run
  int64_t final_version = 0;    // highest applied version after it, if every step succeeds
  std::vector<PlannedStep> steps;
};

// The highest version in an applied state, or 0.
int64_t CurrentVersion(const std::vector<Record>& records);

// Computes the steps. Reverts come first, newest first; then applies, oldest
// first. Refused (before anything runs) with a message naming the version:
// an unknown target (kPlanRefused), reverting an irreversible migration or
// one no plugin provides (kPlanRefused), and any version left running or
// failed-partial by an earlier run (kNeedsRepair).
Status MakePlan(const Catalog& catalog, const std::vector<Record>& records, const MigrateRequest& request,
                Plan* plan);

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_PLAN_H
