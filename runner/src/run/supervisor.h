// Crash isolation: a migrate runs in a forked worker process, so a step that
// segfaults, aborts, calls exit() or hangs cannot take the runner's judgement
// with it. The supervisor relays the worker's reports, ends a step that runs
// past its timeout, and when the worker dies mid-step has the failure
// recorded before returning.
#ifndef LINK_MIGRATION_RUNNER_SUPERVISOR_H
#define LINK_MIGRATION_RUNNER_SUPERVISOR_H

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "catalog/catalog.h"
#include "run/loading_mark.h"
#include "plan/plan.h"
#include "run/reporter.h"
#include "base/status.h"

namespace lm {

// What the worker does; its reports go to the Reporter it is given, and it
// marks in `loading` each plugin file while the file loads.
using WorkerJob = std::function<Status(Reporter& reporter, LoadingMark& loading)>;

// Records that `step` did not finish, for `reason` ("died with SIGSEGV").
using DeathRecorder = std::function<Status(const PlannedStep& step, const std::string& reason)>;

struct SupervisorOptions {
  std::optional<std::chrono::milliseconds> step_timeout;  // none: steps may take as long as they take
  // Wake for every report instead of reading them in batches, as the
  // supervisor does anyway where the kernel has no pidfd (tests cover that
  // way with it).
  bool read_every_report = false;
};

Status RunInWorker(const WorkerJob& job, const Catalog& catalog, const SupervisorOptions& options,
                   Reporter& reporter, const DeathRecorder& record_death);

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_SUPERVISOR_H
