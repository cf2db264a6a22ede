#include "human_reporter.h"

namespace lm {
namespace {

constexpr const char* kIndent = "    ";

const char* Prefix(LineKind kind) {
  switch (kind) {
    case LineKind::kOutput:
      return "| ";
    case LineKind::kDebug:
      return "debug: ";
    case LineKind::kInfo:
      return "";
    case LineKind::kWarning:
      return "warning: ";
    case LineKind::kError:
      return "error: ";
  }
  return "";
}

}  // namespace

void HumanReporter::Warning(const std::string& message) {
  std::fprintf(err_, "link-migration: warning: %s\n", message.c_str());
  std::fflush(err_);
}

void HumanReporter::PlanReady(const std::string& store_name, const Plan& plan, bool dry_run) {
  if (plan.steps.empty()) {
    std::fprintf(out_, "Store %s is at version %lld: nothing to do.\n", store_name.c_str(),
                 static_cast<long long>(plan.current_version));
  } else {
    std::fprintf(out_, "%s %s from version %lld to %lld in %zu step%s%s\n", dry_run ? "Dry run:" : "Migrating",
                 store_name.c_str(), static_cast<long long>(plan.current_version),
                 static_cast<long long>(plan.final_version), plan.steps.size(), plan.steps.size() == 1 ? "" : "s",
                 dry_run ? " (nothing will be changed):" : ".");
  }
  if (dry_run) {
    for (const PlannedStep& step : plan.steps) {
      const Migration& m = *step.migration;
      std::fprintf(out_, "  %-4s %8lld  %s%s%s\n", DirectionName(step.direction), static_cast<long long>(m.version),
                   m.name.c_str(), m.description.empty() ? "" : "  ",
                   m.description.substr(0, m.description.find('\n')).c_str());
    }
  }
  std::fflush(out_);
}

void HumanReporter::StepStarted(const PlannedStep& step, size_t index, size_t count) {
  const Migration& m = *step.migration;
  std::fprintf(out_, "[%zu/%zu] %s %lld %s\n", index, count, DirectionName(step.direction),
               static_cast<long long>(m.version), m.name.c_str());
  if (!m.description.empty()) {
    for (size_t start = 0; start < m.description.size();) {
      size_t end = m.description.find('\n', start);
      if (end == std::string::npos) end = m.description.size();
      std::fprintf(out_, "%s%s\n", kIndent, m.description.substr(start, end - start).c_str());
      start = end + 1;
    }
  }
  const std::string& note = step.direction == Direction::kUp ? m.up_note : m.down_note;
  if (!note.empty()) std::fprintf(out_, "%snote: %s\n", kIndent, note.c_str());
  std::fflush(out_);
}

void HumanReporter::StepLine(LineKind kind, const std::string& line) {
  std::fprintf(out_, "%s%s%s\n", kIndent, Prefix(kind), line.c_str());
  std::fflush(out_);
}

void HumanReporter::StepFinished(const PlannedStep&, const StepOutcome& outcome) {
  if (!outcome.changelog_path.empty())
    std::fprintf(out_, "%schangelog: %s\n", kIndent, outcome.changelog_path.c_str());
  if (outcome.ok) {
    std::fprintf(out_, "%sdone in %lld ms\n", kIndent, static_cast<long long>(outcome.duration_ms));
  } else {
    std::fprintf(out_, "%sFAILED after %lld ms: %s\n", kIndent, static_cast<long long>(outcome.duration_ms),
                 outcome.error.c_str());
  }
  std::fflush(out_);
}

}  // namespace lm
