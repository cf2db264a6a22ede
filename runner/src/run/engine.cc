#include "run/engine.h"

#include <link_migration/store.h>

#include <algorithm>
#include <map>

#include "run/ahead_loader.h"
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
  if (!options.migration_locations.empty()) config.migration_dirs = options.migration_locations;
  std::unique_ptr<Engine> opened(new Engine(options, std::move(config)));
  if (options.look_at_records_early) {
    // A thread pays where reading the folders takes long enough to hide the
    // store's work behind it: many plugin files. For a few files or a bundle
    // it costs more than it hides (nothing pending with a bundle on the
    // benchmark's two vCPUs: 6.80 -> 7.14 ms, and 1 ms more CPU time).
    constexpr uint64_t kManyFilesListingBytes = uint64_t{8} * 1024;  // ext4: some 150+ entries
    const auto overlap = ListingBytes(opened->config_.migration_dirs) >= kManyFilesListingBytes
                             ? RecordsLook::Overlap::kOnAThread
                             : RecordsLook::Overlap::kNone;
    opened->records_look_ = std::make_unique<RecordsLook>(opened->StoreRequest(/*read_only=*/true), overlap);
  }
  std::vector<MigrationSource> sources;
  LM_RETURN_IF_ERROR(DiscoverMigrationSources(opened->config_.migration_dirs, &sources));
  LM_RETURN_IF_ERROR(LoadCatalog(sources, opened->config_.trust, opened->config_.bundles, &opened->catalog_));
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

Status Engine::LookAtRecords(RecordsSnapshot* snapshot, std::vector<std::string>* warnings) {
  if (records_look_) {
    const bool taken = records_look_->Take(snapshot);
    records_look_.reset();
    if (taken) return Status::Ok();
  }
  return TakeSnapshot(StoreRequest(/*read_only=*/true), snapshot, warnings);
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
  if (request.dry_run) return MigrateHere(request, reporter);
  if (NothingToDo(request, reporter)) return Status::Ok();
  // No thread of ours may be running when the worker is forked, and the
  // records looked at are not needed there (10,000 of them held 7 MiB
  // through a whole run).
  records_look_.reset();
  nothing_pending_look_ = RecordsSnapshot{};
  SupervisorOptions supervision;
  if (options_.step_timeout) {
    supervision.step_timeout = options_.step_timeout;
  } else if (config_.step_timeout_ms) {
    supervision.step_timeout = std::chrono::milliseconds(*config_.step_timeout_ms);
  }
  return RunInWorker([&](Reporter& relay, LoadingMark& loading) { return MigrateHere(request, relay, &loading); },
                     catalog_, supervision, reporter,
                     [&](const PlannedStep& step, const std::string& reason) { return RecordDeath(step, reason); });
}

// Most runs of a deploy find every version applied. Committed records that
// leave nothing to run are the truth whoever holds the lock; anything else
// (pending steps, drift, a store that cannot be read) takes the full path,
// which decides and reports under the lock.
bool Engine::NothingToDo(const MigrateRequest& request, Reporter& reporter) {
  RecordsSnapshot& snapshot = nothing_pending_look_;
  std::vector<std::string> warnings;
  if (!LookAtRecords(&snapshot, &warnings).ok() || !warnings.empty()) return false;
  const std::vector<Record>& records = snapshot.records;
  if (request.validate && !RefuseDrift(catalog_, records, request.allow_out_of_order).ok()) return false;
  Plan plan;
  if (!MakePlan(catalog_, records, request, &plan).ok() || !plan.steps.empty()) return false;
  reporter.PlanReady(snapshot.store_name, plan, /*dry_run=*/false);
  return true;
}

Status Engine::MigrateHere(const MigrateRequest& request, Reporter& reporter, LoadingMark* loading) {
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
  for (const PlannedStep& step : plan.steps) planned.push_back(step.migration->version);
  const bool group = request.group || config_.group_transaction;
  // Plugins load while the steps run, each before its own, unless every one
  // must be checked before anything runs: a dry run, a group (all or
  // nothing), and a run asked to (--load-first, or a reporter that prints
  // every step's description first). With nothing to overlap they load now,
  // so that the plan carries every description.
  AheadLoader loader(catalog_, catalog_.FilesToLoad(planned), loading);
  if (request.dry_run || group || request.load_first || config_.load_plugins_first || !loader.WorthAThread())
    LM_RETURN_IF_ERROR(loader.ReadyAll());
  reporter.PlanReady(store->name(), plan, request.dry_run);
  if (request.dry_run || plan.steps.empty()) return Status::Ok();
  loader.Start();

  StepSettings settings;
  settings.params = nlohmann::json::parse(config_.params_json);
  settings.changelog_dir = config_.changelog_dir;
  settings.config_dir = config_.dir.string();
  settings.run_started = started_;
  const RunIdentity identity = Identity();
  return Executor(*store, settings, identity, *options_.environment, reporter, group, &loader).Run(plan);
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
  RecordsSnapshot snapshot;
  LM_RETURN_IF_ERROR(LookAtRecords(&snapshot, &report->warnings));
  std::vector<Record>& records = report->records;
  records = std::move(snapshot.records);
  report->store_name = std::move(snapshot.store_name);
  report->current_version = CurrentVersion(records);

  // Both sides ascending by version, merged: one line per version.
  auto by_version = [](const Record& a, const Record& b) { return a.version < b.version; };
  if (!std::is_sorted(records.begin(), records.end(), by_version))
    std::stable_sort(records.begin(), records.end(), by_version);
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
  StatusReport report;
  LM_RETURN_IF_ERROR(GetStatus(&report));
  *version = report.current_version;
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
