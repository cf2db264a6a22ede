// The engine: everything the CLI does, callable from tests. Open reads the
// config and the catalog (what every plugin file and bundle holds, read
// without running any plugin code); each command then opens the store it
// needs. Plugins load only in a migrate's worker process (supervisor.h).
#ifndef LINK_MIGRATION_RUNNER_ENGINE_H
#define LINK_MIGRATION_RUNNER_ENGINE_H

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "config/config.h"
#include "plan/drift.h"
#include "base/environment.h"
#include "run/executor.h"
#include "run/worker_relay.h"
#include "plan/plan.h"
#include "run/reporter.h"
#include "base/status.h"
#include "store/store_host.h"
#include "store/store_lock.h"
#include "store/version_store.h"

namespace lm {

struct EngineOptions {
  std::filesystem::path config_file;
  // The runner's own store plugins (next to the executable in a build or an install).
  std::filesystem::path builtin_store_dir;
  // Overrides the config's lock_timeout_ms.
  std::optional<std::chrono::milliseconds> lock_timeout;
  // Replace the config's "migrations" (folders and bundles) when not empty.
  std::vector<std::filesystem::path> migration_locations;
  // Overrides the config's step_timeout_ms.
  std::optional<std::chrono::milliseconds> step_timeout;
  const Environment* environment = &SystemEnvironment();
  // For commands that need the store only (current, history): no plugin
  // folder or bundle is read, so none that is missing or broken can stop
  // them, and the catalog stays empty.
  bool store_only = false;
};

// One line of `status`: a version known from the plugins, the store, or both.
struct VersionStatus {
  int64_t version = 0;
  const Migration* migration = nullptr;  // null: recorded but no plugin has it
  const Record* record = nullptr;        // null: pending; one of StatusReport::records
};

struct StatusReport {
  std::string store_name;
  int64_t current_version = 0;
  std::vector<VersionStatus> versions;  // ascending
  std::vector<std::string> warnings;
  std::vector<Record> records;  // what the store holds, ascending; lines point into it
};

class Engine {
 public:
  static Status Open(const EngineOptions& options, std::unique_ptr<Engine>* engine);

  const Config& config() const { return config_; }
  const Catalog& catalog() const { return catalog_; }
  // This invocation's run id: in its records, events and changelog names.
  const std::string& run_id() const { return run_id_; }

  // Runs in a worker process (crash isolation, step timeout, plugins loaded
  // there and only there), dry runs too.
  Status Migrate(const MigrateRequest& request, Reporter& reporter);
  Status GetStatus(StatusReport* report);
  Status GetCurrentVersion(int64_t* version);

  // Recovery after a human has checked the target: the version's record
  // becomes applied, or is removed (pending), and the history says who did it.
  Status MarkApplied(int64_t version, Reporter& reporter);
  Status MarkPending(int64_t version, Reporter& reporter);

  // Every drift between the store and the plugins (read-only).
  Status Validate(std::vector<Drift>* drift);
  // The store's event history, oldest first; *supported is false for a
  // store that keeps none.
  Status GetHistory(std::vector<Event>* events, bool* supported);
  // Adopts a target that already is at `version`: every known version up to
  // it is recorded as applied, without running anything. Only on a store
  // with no records yet.
  Status Baseline(int64_t version, Reporter& reporter);
  // Accepts changed sources: applied records take the plugins' current
  // checksums. `repaired` lists one line per version changed.
  Status Repair(Reporter& reporter, std::vector<std::string>* repaired);

 private:
  Engine(EngineOptions options, Config config);
  StoreOpenRequest StoreRequest(bool read_only) const;
  Status OpenStore(bool read_only, std::unique_ptr<VersionStore>* store, std::vector<std::string>* warnings);
  std::chrono::milliseconds LockTimeout() const;
  Status Mark(int64_t version, bool applied, Reporter& reporter);
  Status OpenLocked(Reporter& reporter, std::unique_ptr<VersionStore>* store, std::unique_ptr<StoreLock>* lock);
  // A read-only look at the store's records, sorted by version.
  Status ReadRecords(std::string* store_name, std::vector<Record>* records, std::vector<std::string>* warnings);
  // True when a read-only look, as status takes, finds nothing to run and
  // nothing wrong; then no lock is taken and no worker started.
  bool NothingToDo(const MigrateRequest& request, Reporter& reporter);
  // In the worker: plans under the lock, loads and checks every planned
  // plugin (telling the supervisor which file before each), then runs.
  Status MigrateInWorker(const MigrateRequest& request, RelayReporter& reporter);
  Status RecordDeath(const PlannedStep& step, const std::string& reason);
  RunIdentity Identity() const;

  EngineOptions options_;
  Config config_;
  Catalog catalog_;
  std::string run_id_;
  std::chrono::system_clock::time_point started_;
};

// The runner's version, recorded with every applied migration.
const char* RunnerVersion();

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_ENGINE_H
