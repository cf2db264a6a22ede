// One step's side of the host ABI: the lm_context a plugin's up/down gets,
// and the lm_host table of services behind it.
#ifndef LINK_MIGRATION_RUNNER_STEP_CONTEXT_H
#define LINK_MIGRATION_RUNNER_STEP_CONTEXT_H

#include <link_migration/migration.h>

#include <chrono>
#include <deque>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "catalog/catalog.h"
#include "plan/plan.h"
#include "run/reporter.h"
#include "store/version_store.h"

namespace lm {

// The part of a run every step shares.
struct StepSettings {
  nlohmann::json params = nlohmann::json::object();
  std::filesystem::path changelog_dir;
  std::string config_dir;
  std::chrono::system_clock::time_point run_started;
};

}  // namespace lm

// The opaque C handle of migration.h, defined by the runner.
struct lm_context {
  lm_context(const lm::StepSettings& settings, const lm::Migration& migration, lm::Direction direction,
             lm::VersionStore& store, bool in_transaction, lm::Reporter& reporter)
      : settings(settings), migration(migration), direction(direction), store(store),
        in_transaction(in_transaction), reporter(reporter) {}

  // Calls the step; LM_OK or the error in error().
  lm_result Run();

  const lm::StepSettings& settings;
  const lm::Migration& migration;
  lm::Direction direction;
  lm::VersionStore& store;
  bool in_transaction;
  lm::Reporter& reporter;  // where host->log's lines go

  std::string error;
  // Where the step's changelog goes: a name no other step, run or attempt
  // has (see ChangelogPath), created only when the step writes its first
  // line, and only as a new file.
  std::filesystem::path changelog_path;
  bool changelog_created = false;
  std::string changelog_error;  // why the changelog could not be written, added to the step's error
  // Open from the step's first line to its end: the descriptor the
  // exclusive create returned, so the lines go to the file that create made
  // and never to whatever the name may lead to meanwhile.
  int changelog_fd = -1;
  size_t changelog_rows = 0;
  bool changelog_has_header = false;
  std::deque<std::string> borrowed;  // strings handed to the plugin, alive until the step returns
};

namespace lm {
const lm_host& HostServices();

// <changelog_dir>/<version>_<name>_<direction>_<UTC start of the run>_run-<run id>_attempt-<n>.csv:
// unique to the run, so a step applied, reverted and applied again within a
// second writes three files. `attempt` counts as the record does (an up
// after failed-rolled-back tries is 2, 3, ...; a down is 1).
std::filesystem::path ChangelogPath(const StepSettings& settings, const Migration& migration, Direction direction,
                                    const std::string& run_id, int32_t attempt);
}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_STEP_CONTEXT_H
