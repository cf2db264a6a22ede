#include "run/engine.h"

#include <link_migration/store.h>

#include <algorithm>
#include <map>

#include "catalog/discovery.h"
#include "plan/drift.h"
#include "run/executor.h"
#include "store/store_host.h"
#include "store/store_lock.h"
#include "run/supervisor.h"

#ifndef LM_RUNNER_VERSION
#define LM_RUNNER_VERSION "0.0.0"
#endif

namespace lm {
namespace {

constexpr std::chrono::milliseconds kDefaultLockTimeout{30000};

Status RefuseDrift(const Catalog& catalog, const std::vector<Record>& records, bool allow_out_of_order) {
  std::vector<Drift> drift = FindDrift(catalog, records);
  if (allow_out_of_order)
    std::erase_if(drift, [](const Drift& d) { return d.kind == Drift::Kind::kOutOfOrder; });
  if (drift.empty()) return Status::Ok();
  std::string more = drift.size() == 1 ? "" : " (and " + std::to_string(drift.size() - 1) + " more: see 'validate')";
  return Status::Error(ErrorKind::kDrift, drift.front().message + more);
}

}  // namespace

const char* RunnerVersion() { return LM_RUNNER_VERSION; }

Engine::Engine(EngineOptions options, Config config)
    : options_(std::move(options)), config_(std::move(config)), run_id_(NewRunId()),
      started_(options_.environment->Now()) {}

Status Engine::Open(const EngineOptions& options, std::unique_ptr<Engine>* engine) {
  Config config;
  LM_RETURN_IF_ERROR(LoadConfig(options.config_file, &config));
  const bool locations_from_config = options.migration_locations.empty();
  if (!locations_from_config) config.migration_dirs = options.migration_locations;
  if (locations_from_config && !options.store_only) LM_RETURN_IF_ERROR(CheckMigrationLocations(config));
  std::unique_ptr<Engine> opened(new Engine(options, std::move(config)));
  if (!options.store_only) {
    std::vector<MigrationSource> sources;
    LM_RETURN_IF_ERROR(DiscoverMigrationSources(opened->config_.migration_dirs, &sources));
    LM_RETURN_IF_ERROR(LoadCatalog(sources, opened->config_.trust, opened->config_.bundles, &opened->catalog_));
  }
  *engine = std::move(opened);
  return Status::Ok();
}

std::chrono::milliseconds Engine::LockTimeout() const {
  if (options_.lock_timeout) return *options_.lock_timeout;
  if (config_.lock_timeout_ms) return std::chrono::milliseconds(*config_.lock_timeout_ms);
  return kDefaultLockTimeout;
}

StoreOpenRequest Engine::StoreRequest(bool read_only) const {
  const Environment& env = *options_.environment;
  StoreOpenRequest request;
  request.config = &config_;
  request.builtin_store_dir = options_.builtin_store_dir;
  request.read_only = read_only;
  request.user = env.User();
  request.host = env.Host();
  request.pid = env.Pid();
  request.run_id = run_id_;
  request.started_at = FormatUtc(started_);
  for (const Migration& migration : catalog_.migrations()) request.known_versions.push_back(migration.version);
  return request;
}

Status Engine::OpenStore(bool read_only, std::unique_ptr<VersionStore>* store, std::vector<std::string>* warnings) {
  return OpenVersionStore(StoreRequest(read_only), store, warnings);
}

Status Engine::ReadRecords(std::string* store_name, std::vector<Record>* records,
                           std::vector<std::string>* warnings) {
  std::unique_ptr<VersionStore> store;
  LM_RETURN_IF_ERROR(OpenStore(/*read_only=*/true, &store, warnings));
  *store_name = store->name();
  LM_RETURN_IF_ERROR(store->ListRecords(records));
  auto by_version = [](const Record& a, const Record& b) { return a.version < b.version; };
  if (!std::is_sorted(records->begin(), records->end(), by_version))
    std::stable_sort(records->begin(), records->end(), by_version);
  return Status::Ok();
}

RunIdentity Engine::Identity() const {
  const Environment& env = *options_.environment;
  return RunIdentity{env.User() + "@" + env.Host(), run_id_, RunnerVersion()};
}

Status Engine::OpenLocked(Reporter& reporter, std::unique_ptr<VersionStore>* store,
                          std::unique_ptr<StoreLock>* lock) {
  std::vector<std::string> warnings;
  LM_RETURN_IF_ERROR(OpenStore(/*read_only=*/false, store, &warnings));
  for (const std::string& warning : warnings) reporter.Warning(warning);
  *lock = std::make_unique<StoreLock>(**store);
  return (*lock)->Acquire(LockTimeout());
}

Status Engine::Migrate(const MigrateRequest& request, Reporter& reporter) {
  LM_RETURN_IF_ERROR(catalog_.Usable());
  if (!request.dry_run && NothingToDo(request, reporter)) return Status::Ok();
  SupervisorOptions supervision;
  if (options_.step_timeout) {
    supervision.step_timeout = options_.step_timeout;
  } else if (config_.step_timeout_ms) {
    supervision.step_timeout = std::chrono::milliseconds(*config_.step_timeout_ms);
  }
  return RunInWorker([&](RelayReporter& relay) { return MigrateInWorker(request, relay); }, catalog_, supervision,
                     reporter, [&](const PlannedStep& step, const std::string& reason) { return RecordDeath(step, reason); });
}

// Most runs of a deploy find every version applied. Committed records that
// leave nothing to run are the truth whoever holds the lock; anything else
// (pending steps, drift, a store that cannot be read) takes the full path,
// which decides and reports under the lock.
bool Engine::NothingToDo(const MigrateRequest& request, Reporter& reporter) {
  std::string store_name;
  std::vector<Record> records;
  std::vector<std::string> warnings;
  if (!ReadRecords(&store_name, &records, &warnings).ok() || !warnings.empty()) return false;
  if (request.validate && !RefuseDrift(catalog_, records, request.allow_out_of_order).ok()) return false;
  Plan plan;
  if (!MakePlan(catalog_, records, request, &plan).ok() || !plan.steps.empty()) return false;
  reporter.PlanReady(store_name, plan, /*dry_run=*/false);
  return true;
}

// Checks before it touches: every planned plugin is loaded and checked
// against what the catalog read of it before the plan is reported and the
// first step starts. A plugin that fails to load, or kills the worker while
// loading, ends the run with nothing changed.
Status Engine::MigrateInWorker(const MigrateRequest& request, RelayReporter& reporter) {
  std::unique_ptr<VersionStore> store;
  std::vector<std::string> warnings;
  LM_RETURN_IF_ERROR(OpenStore(/*read_only=*/request.dry_run, &store, &warnings));
  for (const std::string& warning : warnings) reporter.Warning(warning);

  StoreLock lock(*store);
  if (!request.dry_run) LM_RETURN_IF_ERROR(lock.Acquire(LockTimeout()));

  std::vector<Record> records;
  LM_RETURN_IF_ERROR(store->ListRecords(&records));
  if (request.validate) LM_RETURN_IF_ERROR(RefuseDrift(catalog_, records, request.allow_out_of_order));
  Plan plan;
  LM_RETURN_IF_ERROR(MakePlan(catalog_, records, request, &plan));
  std::vector<int64_t> planned;
  planned.reserve(plan.steps.size());
  for (const PlannedStep& step : plan.steps) planned.push_back(step.migration->version);
  for (const PluginFileLoad& load : catalog_.FilesToLoad(planned)) {
    reporter.Loading(load.file);
    LM_RETURN_IF_ERROR(catalog_.LoadFile(load));
  }
  reporter.PlanReady(store->name(), plan, request.dry_run);
  if (request.dry_run || plan.steps.empty()) return Status::Ok();

  StepSettings settings;
  settings.params = nlohmann::json::parse(config_.params_json);
  settings.changelog_dir = config_.changelog_dir;
  settings.config_dir = config_.dir.string();
  settings.run_started = started_;
  const RunIdentity identity = Identity();
  const bool group = request.group || config_.group_transaction;
  return Executor(*store, settings, identity, *options_.environment, reporter, group).Run(plan);
}

// The worker died inside `step`. What the store holds says how far it got: a
// running mark means the step had no transaction and may have done part of
// its work; no mark means its transaction died with it.
Status Engine::RecordDeath(const PlannedStep& step, const std::string& reason) {
  std::unique_ptr<VersionStore> store;
  std::vector<std::string> warnings;
  LM_RETURN_IF_ERROR(OpenStore(/*read_only=*/false, &store, &warnings));
  if (!store->capabilities().full_records) return Status::Ok();
  StoreLock lock(*store);
  LM_RETURN_IF_ERROR(lock.Acquire(LockTimeout()));
  std::vector<Record> records;
  LM_RETURN_IF_ERROR(store->ListRecords(&records));
  const int64_t version = step.migration->version;
  auto found = std::find_if(records.begin(), records.end(), [&](const Record& r) { return r.version == version; });
  const bool running = found != records.end() && found->state == VersionState::kRunning;
  const bool finished = step.direction == Direction::kUp
                            ? found != records.end() && found->state == VersionState::kApplied && found->run_id == run_id_
                            : found == records.end();
  if (finished) return Status::Ok();  // it committed just before the worker died

  const RunIdentity identity = Identity();
  const Environment& env = *options_.environment;
  // Event first, as for a step.
  LM_RETURN_IF_ERROR(store->AppendEvent(NewEvent(step, LM_EVENT_FAIL, 0,
                                                 std::string(DirectionName(step.direction)) + ": " + reason +
                                                     (running ? " (not rolled back)" : " (rolled back)"),
                                                 identity, env)));
  if (!running && step.direction == Direction::kDown) return Status::Ok();
  Record record =
      NewRecord(step, running ? VersionState::kFailedPartial : VersionState::kFailedRolledBack, identity, env);
  record.error = reason;
  return store->PutRecord(record);
}

Status Engine::GetStatus(StatusReport* report) {
  *report = StatusReport{};
  const std::vector<Migration>& known = catalog_.migrations();
  std::vector<Record>& records = report->records;
  LM_RETURN_IF_ERROR(ReadRecords(&report->store_name, &records, &report->warnings));
  report->current_version = CurrentVersion(records);

  // Both sides ascending by version, merged: one line per version.
  report->versions.reserve(known.size() + records.size());
  size_t m = 0;
  size_t r = 0;
  while (m < known.size() || r < records.size()) {
    const bool take_migration = m < known.size() && (r == records.size() || known[m].version <= records[r].version);
    const bool take_record = r < records.size() && (m == known.size() || records[r].version <= known[m].version);
    VersionStatus line;
    line.version = take_migration ? known[m].version : records[r].version;
    if (take_migration) line.migration = &known[m++];
    if (take_record) {
      line.record = &records[r++];
      // A store holding one version twice: the last record stands, as it did when read into a map.
      while (r < records.size() && records[r].version == line.version) line.record = &records[r++];
    }
    report->versions.push_back(line);
  }
  return Status::Ok();
}

Status Engine::GetCurrentVersion(int64_t* version) {
  std::string store_name;
  std::vector<Record> records;
  std::vector<std::string> warnings;
  LM_RETURN_IF_ERROR(ReadRecords(&store_name, &records, &warnings));
  *version = CurrentVersion(records);
  return Status::Ok();
}

Status Engine::Validate(std::vector<Drift>* drift) {
  std::unique_ptr<VersionStore> store;
  std::vector<std::string> warnings;
  LM_RETURN_IF_ERROR(OpenStore(/*read_only=*/true, &store, &warnings));
  std::vector<Record> records;
  LM_RETURN_IF_ERROR(store->ListRecords(&records));
  *drift = FindDrift(catalog_, records);
  return Status::Ok();
}

Status Engine::GetHistory(std::vector<Event>* events, bool* supported) {
  std::unique_ptr<VersionStore> store;
  std::vector<std::string> warnings;
  LM_RETURN_IF_ERROR(OpenStore(/*read_only=*/true, &store, &warnings));
  *supported = store->capabilities().history;
  return store->ListEvents(events);
}

}  // namespace lm
