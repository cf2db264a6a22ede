#include "cli/human_reporter.h"

namespace lm {
namespace {

constexpr const char* kIndent = "    ";
// Erases the terminal's current line: the live one is rewritten in place.
constexpr const char* kEraseLine = "\r\x1b[K";

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

Colour PrefixColour(LineKind kind) {
  if (kind == LineKind::kWarning) return Colour::kYellow;
  if (kind == LineKind::kError) return Colour::kRed;
  if (kind == LineKind::kDebug) return Colour::kDim;
  return Colour::kNone;
}

int64_t MillisecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
}

std::string Ms(int64_t ms) { return std::to_string(ms) + " ms"; }

}  // namespace

HumanReporter::HumanReporter(std::FILE* out, std::FILE* err, HumanStyle style)
    : out_(out), err_(err), style_(style) {}

HumanReporter::~HumanReporter() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (ticker_.joinable()) ticker_.join();
}

void HumanReporter::Tick() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, std::chrono::milliseconds(100));
    if (!stopping_ && running_) DrawLive();
  }
}

void HumanReporter::DrawLive() {
  if (!style_.live || !running_) return;
  const std::string elapsed = style_.palette.Paint(Ms(MillisecondsSince(step_started_)), Colour::kDim);
  std::fprintf(out_, "%s%s ... %s", kEraseLine, heading_open_ ? heading_.c_str() : kIndent, elapsed.c_str());
  std::fflush(out_);
}

void HumanReporter::CloseHeading() {
  if (style_.live) std::fputs(kEraseLine, out_);
  if (heading_open_) {
    std::fprintf(out_, "%s ...\n", heading_.c_str());
    heading_open_ = false;
  }
}

void HumanReporter::Permanent(const std::string& text) {
  CloseHeading();
  std::fprintf(out_, "%s\n", text.c_str());
  DrawLive();
  std::fflush(out_);
}

void HumanReporter::Warning(const std::string& message) {
  std::lock_guard<std::mutex> lock(mutex_);
  // On a terminal stderr is usually the same screen: clear the live line
  // first and redraw it after.
  if (style_.live && running_) {
    std::fputs(kEraseLine, out_);
    std::fflush(out_);
  }
  std::fprintf(err_, "link-migration: warning: %s\n", message.c_str());
  std::fflush(err_);
  DrawLive();
}

void HumanReporter::PlanReady(const std::string& store_name, const Plan& plan, bool dry_run) {
  std::lock_guard<std::mutex> lock(mutex_);
  store_ = store_name;
  planned_ = true;
  dry_run_ = dry_run;
  total_ = plan.steps.size();
  final_version_ = plan.final_version;
  run_started_ = std::chrono::steady_clock::now();
  if (plan.steps.empty()) {
    std::fprintf(out_, "Store %s is at version %lld: nothing to do.\n", store_name.c_str(),
                 static_cast<long long>(plan.current_version));
    std::fflush(out_);
    return;
  }
  // A dry run's plan is its result, so even --quiet prints it.
  if (style_.verbosity == Verbosity::kQuiet && !dry_run) return;
  std::fprintf(out_, "%s %s from version %lld to %lld in %zu step%s%s\n", dry_run ? "Dry run:" : "Migrating",
               store_name.c_str(), static_cast<long long>(plan.current_version),
               static_cast<long long>(plan.final_version), plan.steps.size(), plan.steps.size() == 1 ? "" : "s",
               dry_run ? " (nothing will be changed):" : ".");
  if (dry_run || style_.verbosity == Verbosity::kVerbose) {
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
  std::lock_guard<std::mutex> lock(mutex_);
  const Migration& m = *step.migration;
  running_ = true;
  step_started_ = std::chrono::steady_clock::now();
  heading_ = "[" + std::to_string(index) + "/" + std::to_string(count) + "] " +
             (step.direction == Direction::kUp ? "applying " : "reverting ") + std::to_string(m.version) + " " +
             m.name;
  heading_open_ = true;
  if (style_.verbosity == Verbosity::kQuiet) return;
  if (style_.live) {
    // Started with the first step, not before: the engine forks its worker
    // before that, and a fork is safest with no other thread running.
    if (!ticker_.joinable()) ticker_ = std::thread([this] { Tick(); });
    DrawLive();
  } else {
    // A whole line, written now: a log read line by line (a CI job's, the
    // journal's) shows which step runs, even one that hangs.
    std::fprintf(out_, "%s ...\n", heading_.c_str());
    heading_open_ = false;
    std::fflush(out_);
  }
  if (style_.verbosity == Verbosity::kVerbose) {
    for (size_t start = 0; start < m.description.size();) {
      size_t end = m.description.find('\n', start);
      if (end == std::string::npos) end = m.description.size();
      Permanent(kIndent + m.description.substr(start, end - start));
      start = end + 1;
    }
  }
  const std::string& note = step.direction == Direction::kUp ? m.up_note : m.down_note;
  if (!note.empty()) Permanent(kIndent + style_.palette.Paint("note: ", Colour::kYellow) + note);
}

void HumanReporter::StepLine(LineKind kind, const std::string& line) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (style_.verbosity == Verbosity::kQuiet) return;
  if (kind == LineKind::kDebug && style_.verbosity != Verbosity::kVerbose) return;
  Permanent(kIndent + style_.palette.Paint(Prefix(kind), PrefixColour(kind)) + line);
}

void HumanReporter::StepFinished(const PlannedStep&, const StepOutcome& outcome) {
  std::lock_guard<std::mutex> lock(mutex_);
  running_ = false;
  if (outcome.ok) ++finished_;
  if (style_.verbosity == Verbosity::kQuiet) return;
  if (!outcome.changelog_path.empty()) Permanent(std::string(kIndent) + "changelog: " + outcome.changelog_path);
  const std::string failed =
      style_.palette.Paint("FAILED after " + Ms(outcome.duration_ms), Colour::kRed) + ": " + outcome.error;
  if (style_.live) std::fputs(kEraseLine, out_);
  if (heading_open_) {
    const std::string result = outcome.ok ? style_.palette.Paint(Ms(outcome.duration_ms), Colour::kGreen) : failed;
    std::fprintf(out_, "%s ... %s\n", heading_.c_str(), result.c_str());
    heading_open_ = false;
  } else if (outcome.ok) {
    std::fprintf(out_, "%sdone in %s\n", kIndent, style_.palette.Paint(Ms(outcome.duration_ms), Colour::kGreen).c_str());
  } else {
    std::fprintf(out_, "%s%s\n", kIndent, failed.c_str());
  }
  std::fflush(out_);
}

void HumanReporter::Finish(const Status& status) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (running_ && style_.verbosity != Verbosity::kQuiet) {
    // The step never finished (its worker died before saying so): end its line.
    running_ = false;
    CloseHeading();
  }
  if (!planned_ || dry_run_ || total_ == 0) return;
  if (status.ok()) {
    std::fprintf(out_, "%s %s is at version %lld after %zu step%s in %s.\n",
                 style_.palette.Paint("Done:", Colour::kGreen).c_str(), store_.c_str(),
                 static_cast<long long>(final_version_), total_, total_ == 1 ? "" : "s",
                 Ms(MillisecondsSince(run_started_)).c_str());
  } else {
    std::fprintf(out_, "%s %zu of %zu step%s done.\n", style_.palette.Paint("Stopped:", Colour::kRed).c_str(),
                 finished_, total_, total_ == 1 ? "" : "s");
  }
  std::fflush(out_);
}

}  // namespace lm
