// Crash isolation: a migrate runs in a forked worker process, so a step that
// segfaults, aborts, calls exit() or hangs cannot take the runner's judgement
// with it, and plugin code never runs in the runner's own process.
//
// The supervisor relays the worker's reports (worker_relay.h, on a pipe of
// their own) and its steps' output (from a file of its own); ends a step
// that runs past its timeout, or the whole worker when the runner is told
// to stop (SIGTERM, SIGINT, SIGHUP); and answers only once the worker has
// exited. When the worker dies mid-step it has the failure recorded before
// returning. The worker dies with the runner: if the runner is killed, the
// kernel kills the worker.
#ifndef LINK_MIGRATION_RUNNER_SUPERVISOR_H
#define LINK_MIGRATION_RUNNER_SUPERVISOR_H

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "base/status.h"
#include "catalog/catalog.h"
#include "plan/plan.h"
#include "run/reporter.h"
#include "run/worker_relay.h"

namespace lm {

// What the worker does; its reports go to the RelayReporter it is given
// (including, before each plugin file it loads, RelayReporter::Loading).
using WorkerJob = std::function<Status(RelayReporter& reporter)>;

// Records that `step` did not finish, for `reason` ("died with SIGSEGV").
using DeathRecorder = std::function<Status(const PlannedStep& step, const std::string& reason)>;

struct SupervisorOptions {
  std::optional<std::chrono::milliseconds> step_timeout;  // none: steps may take as long as they take
};

Status RunInWorker(const WorkerJob& job, const Catalog& catalog, const SupervisorOptions& options,
                   Reporter& reporter, const DeathRecorder& record_death);

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_SUPERVISOR_H
