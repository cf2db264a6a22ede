#include "cli/json_reporter.h"

namespace lm {
namespace {

using nlohmann::json;

const char* KindName(LineKind kind) {
  switch (kind) {
    case LineKind::kOutput:
      return "output";
    case LineKind::kDebug:
      return "debug";
    case LineKind::kInfo:
      return "info";
    case LineKind::kWarning:
      return "warning";
    case LineKind::kError:
      return "error";
  }
  return "output";
}

}  // namespace

void JsonReporter::Warning(const std::string& message) { document_["warnings"].push_back(message); }

void JsonReporter::PlanReady(const std::string& store_name, const Plan& plan, bool dry_run) {
  document_["store"] = store_name;
  document_["dry_run"] = dry_run;
  document_["from_version"] = plan.current_version;
  document_["to_version"] = plan.final_version;
  json steps = json::array();
  for (const PlannedStep& step : plan.steps) {
    steps.push_back({{"version", step.migration->version},
                     {"name", step.migration->name},
                     {"direction", DirectionName(step.direction)},
                     {"description", step.migration->description},
                     {"status", "planned"}});
  }
  document_["steps"] = std::move(steps);
}

void JsonReporter::StepStarted(const PlannedStep& step, size_t, size_t) {
  running_ = nullptr;
  for (json& planned : document_["steps"]) {
    if (planned["version"] == step.migration->version && planned["direction"] == DirectionName(step.direction)) {
      running_ = &planned;
      planned["status"] = "running";
      planned["output"] = json::array();
    }
  }
}

void JsonReporter::StepLine(LineKind kind, const std::string& line) {
  if (running_ != nullptr) (*running_)["output"].push_back({{"kind", KindName(kind)}, {"line", line}});
}

void JsonReporter::StepFinished(const PlannedStep& step, const StepOutcome& outcome) {
  if (running_ == nullptr) return;
  (*running_)["status"] = !outcome.ok ? "failed" : step.direction == Direction::kUp ? "applied" : "reverted";
  (*running_)["duration_ms"] = outcome.duration_ms;
  if (!outcome.ok) (*running_)["error"] = outcome.error;
  if (!outcome.changelog_path.empty()) (*running_)["changelog"] = outcome.changelog_path;
  running_ = nullptr;
}

void JsonReporter::Finish(const Status& status, std::FILE* out) {
  document_["schema_version"] = kJsonSchemaVersion;
  document_["ok"] = status.ok();
  document_["exit_code"] = status.exit_code();
  if (!status.ok()) document_["error"] = status.message();
  std::string text = document_.dump(2, ' ', false, json::error_handler_t::replace);
  std::fprintf(out, "%s\n", text.c_str());
}

}  // namespace lm
