// Fuzzes the supervisor's reading of its worker's report pipe
// (runner/src/run/worker_relay.h). Only the worker writes there, but a
// worker dying mid-write (or a plugin writing to any descriptor) can leave
// any bytes. None may crash the supervisor, and every step it hands its
// reporter, or keeps as the running one, must name a migration that is
// still there: the reporter below reads each one whole, so a null or freed
// one is caught (by AddressSanitizer in the fuzzing build).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "run/worker_relay.h"

namespace {

size_t Touch(const lm::PlannedStep& step) {
  if (step.migration == nullptr) std::abort();
  const lm::Migration& migration = *step.migration;
  return static_cast<size_t>(migration.version) + migration.name.size() + migration.description.size() +
         migration.up_note.size() + migration.down_note.size() + migration.file.size();
}

class TouchingReporter : public lm::Reporter {
 public:
  void Warning(const std::string& message) override { touched_ += message.size(); }
  void PlanReady(const std::string& store_name, const lm::Plan& plan, bool) override {
    touched_ += store_name.size();
    for (const lm::PlannedStep& step : plan.steps) touched_ += Touch(step);
  }
  void StepStarted(const lm::PlannedStep& step, size_t index, size_t count) override {
    touched_ += Touch(step) + index + count;
  }
  void StepLine(lm::LineKind, const std::string& line) override { touched_ += line.size(); }
  void StepFinished(const lm::PlannedStep& step, const lm::StepOutcome& outcome) override {
    touched_ += Touch(step) + outcome.error.size() + outcome.changelog_path.size();
  }

 private:
  size_t touched_ = 0;
};

// Versions 1 to 5, known to the supervisor as in a real run; 5 has texts
// the worker may send again, changed.
const lm::Catalog& KnownMigrations() {
  static const lm::Catalog catalog = [] {
    std::vector<lm::Migration> migrations(5);
    for (size_t i = 0; i < migrations.size(); ++i) {
      migrations[i].version = static_cast<int64_t>(i) + 1;
      migrations[i].name = "step_" + std::to_string(i + 1);
      migrations[i].file = "/migrations/" + migrations[i].name + ".so";
    }
    migrations[4].description = "what the plugin says it does";
    migrations[4].up_note = "up";
    migrations[4].down_note = "down";
    return lm::Catalog::Of(std::move(migrations));
  }();
  return catalog;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view stream(reinterpret_cast<const char*>(data), size);
  TouchingReporter reporter;
  lm::RelayReplayer replayer(KnownMigrations(), reporter);
  for (size_t end; (end = stream.find('\n')) != std::string_view::npos; stream.remove_prefix(end + 1)) {
    replayer.Replay(stream.substr(0, end));
    // What the supervisor reads when the worker dies at this point.
    if (replayer.running_step()) Touch(*replayer.running_step());
  }
  if (!stream.empty()) replayer.Replay(stream);
  if (replayer.running_step()) Touch(*replayer.running_step());
  return 0;
}
