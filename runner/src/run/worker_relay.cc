#include "run/worker_relay.h"

#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <iostream>

#include "run/step_context.h"

namespace lm {
namespace {

// The report types (relay_format.h), one letter each.
constexpr char kWarning = 'W';
constexpr char kPlan = 'P';
constexpr char kDescription = 'D';
constexpr char kStart = 'S';
constexpr char kLine = 'L';
constexpr char kFinish = 'F';
constexpr char kStatus = 'X';

void WriteStep(relay::MessageWriter& writer, const PlannedStep& step) {
  writer.Int(step.migration->version);
  writer.Int(step.direction == Direction::kUp ? 0 : 1);
  writer.Int(step.previous_attempts);
}

}  // namespace

void RelayReporter::FlushStdio() {
  std::cout.flush();
  std::fflush(nullptr);
}

void RelayReporter::Send() {
  FlushStdio();
  const std::string* message = &writer_.Finish();
  if (!held_.empty()) {
    held_ += *message;
    message = &held_;
  }
  const std::string& text = *message;
  for (size_t written = 0; written < text.size();) {
    ssize_t n = write(fd_, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the supervisor is gone; nothing left to tell
    written += static_cast<size_t>(n);
  }
  held_.clear();
}

void RelayReporter::Warning(const std::string& message) {
  writer_.Start(kReportMarker, kWarning);
  writer_.Text(message);
  Send();
}

void RelayReporter::PlanReady(const std::string& store_name, const Plan& plan, bool dry_run) {
  writer_.Start(kReportMarker, kPlan);
  writer_.Text(store_name);
  writer_.Int(plan.current_version);
  writer_.Int(plan.final_version);
  writer_.Int(dry_run ? 1 : 0);
  writer_.Int(static_cast<int64_t>(plan.steps.size()));
  described_in_plan_.clear();
  for (const PlannedStep& step : plan.steps) {
    described_in_plan_.push_back(step.migration->loaded());
    WriteStep(writer_, step);
    writer_.Text(step.migration->description);
    writer_.Text(step.migration->up_note);
    writer_.Text(step.migration->down_note);
  }
  Send();
}

void RelayReporter::StepStarted(const PlannedStep& step, size_t index, size_t count) {
  if (index >= 1 && index <= described_in_plan_.size() && !described_in_plan_[index - 1]) {
    writer_.Start(kReportMarker, kDescription);
    writer_.Int(step.migration->version);
    writer_.Text(step.migration->description);
    writer_.Text(step.migration->up_note);
    writer_.Text(step.migration->down_note);
    held_ += writer_.Finish();  // goes out with the start
  }
  writer_.Start(kReportMarker, kStart);
  WriteStep(writer_, step);
  writer_.Int(static_cast<int64_t>(index));
  writer_.Int(static_cast<int64_t>(count));
  started_index_ = index;
  started_count_ = count;
  Send();
}

void RelayReporter::StepLine(LineKind kind, const std::string& line) {
  writer_.Start(kReportMarker, kLine);
  writer_.Int(static_cast<int64_t>(kind));
  writer_.Text(line);
  Send();
}

void RelayReporter::StepFinished(const PlannedStep& step, const StepOutcome& outcome) {
  writer_.Start(kReportMarker, kFinish);
  WriteStep(writer_, step);
  writer_.Int(outcome.ok ? 1 : 0);
  writer_.Int(outcome.duration_ms);
  writer_.Text(outcome.error);
  writer_.Text(outcome.changelog_path);
  if (outcome.ok && started_index_ < started_count_ && held_.empty()) {
    FlushStdio();  // what was printed before the report still goes ahead of it
    held_ = writer_.Finish();
    return;
  }
  Send();
}

void RelayReporter::Finished(const Status& status) {
  writer_.Start(kReportMarker, kStatus);
  writer_.Int(status.exit_code());
  writer_.Text(status.message());
  Send();
}

// A marker may follow a partial line the step printed without a newline:
// the text before it is still the step's output.
void RelayReplayer::Replay(std::string_view line) {
  static constexpr char kMarkers[] = {kReportMarker, kLogLineMarker};
  const size_t marker = line.find_first_of(std::string_view(kMarkers, sizeof(kMarkers)));
  if (marker == std::string_view::npos) {
    reporter_.StepLine(LineKind::kOutput, std::string(line));
    return;
  }
  if (marker > 0) reporter_.StepLine(LineKind::kOutput, std::string(line.substr(0, marker)));
  if (line[marker] == kReportMarker) {
    ReplayReport(line.substr(marker + 1));
    return;
  }
  static constexpr LineKind kByLevel[] = {LineKind::kDebug, LineKind::kInfo, LineKind::kWarning, LineKind::kError};
  const int level = marker + 1 < line.size() ? line[marker + 1] - '0' : -1;
  if (level >= 0 && level <= 3) {
    reporter_.StepLine(kByLevel[level], std::string(line.substr(marker + 2)));
  } else {
    reporter_.StepLine(LineKind::kOutput, std::string(line.substr(marker + 1)));
  }
}

bool RelayReplayer::ReadStep(relay::MessageReader& message, PlannedStep* step, int64_t* version_read) const {
  int64_t version = 0, direction = 0, attempts = 0;
  if (!message.Int(&version) || !message.Int(&direction) || !message.Int(&attempts)) return false;
  if (direction != 0 && direction != 1) return false;
  if (attempts < INT32_MIN || attempts > INT32_MAX) return false;
  auto described = described_.find(version);
  step->migration = described != described_.end() ? &described->second : catalog_.Find(version);
  step->direction = direction == 0 ? Direction::kUp : Direction::kDown;
  step->previous_attempts = static_cast<int32_t>(attempts);
  if (version_read != nullptr) *version_read = version;
  return true;
}

// The whole plan is read before the reporter hears of it: a cut-off plan is
// dropped, not reported in part.
void RelayReplayer::ReplayPlan(relay::MessageReader& message) {
  // The worker sends one plan, before any step; another would also free
  // the texts a running step's report points into.
  if (planned_) return;
  std::string store;
  int64_t current = 0, final_version = 0, dry = 0, count = 0;
  if (!message.Text(&store) || !message.Int(&current) || !message.Int(&final_version) || !message.Int(&dry) ||
      !message.Int(&count) || count < 0) {
    return;
  }
  Plan plan;
  plan.current_version = current;
  plan.final_version = final_version;
  std::map<int64_t, Migration> described;
  std::string description, up_note, down_note;
  for (int64_t i = 0; i < count; ++i) {
    PlannedStep step;
    int64_t version = 0;
    if (!ReadStep(message, &step, &version) || !message.Text(&description) || !message.Text(&up_note) ||
        !message.Text(&down_note)) {
      return;
    }
    // The worker plans from a copy of this catalog; a version it does not
    // hold comes from a step's output that only looks like a report, and a
    // reporter could not name it.
    const Migration* known = catalog_.Find(version);
    if (known == nullptr) return;
    if (known->description != description || known->up_note != up_note || known->down_note != down_note) {
      Migration copy = *known;
      copy.description = description;
      copy.up_note = up_note;
      copy.down_note = down_note;
      step.migration = &(described[copy.version] = std::move(copy));
    } else {
      step.migration = known;
    }
    plan.steps.push_back(step);
  }
  if (!message.Done()) return;
  described_ = std::move(described);  // node-based: the steps' pointers stay valid
  plan_ = std::move(plan);
  planned_ = true;
  reporter_.PlanReady(store, plan_, dry != 0);
}

void RelayReplayer::ReplayDescription(relay::MessageReader& message) {
  int64_t version = 0;
  std::string description, up_note, down_note;
  if (!planned_ || !message.Int(&version) || !message.Text(&description) || !message.Text(&up_note) ||
      !message.Text(&down_note) || !message.Done()) {
    return;
  }
  auto described = described_.find(version);
  if (described == described_.end()) {
    const Migration* known = catalog_.Find(version);
    if (known == nullptr) return;
    described = described_.emplace(version, *known).first;
  }
  // Assigned in place: reports already made may point at this migration.
  described->second.description = std::move(description);
  described->second.up_note = std::move(up_note);
  described->second.down_note = std::move(down_note);
}

void RelayReplayer::ReplayReport(std::string_view payload) {
  relay::MessageReader message(payload);
  switch (message.type()) {
    case kWarning:
      if (message.Text(&text_) && message.Done()) reporter_.Warning(text_);
      return;
    case kPlan:
      ReplayPlan(message);
      return;
    case kDescription:
      ReplayDescription(message);
      return;
    case kStart: {
      PlannedStep step;
      int64_t index = 0, count = 0;
      if (!ReadStep(message, &step) || !message.Int(&index) || !message.Int(&count) || !message.Done()) return;
      running_ = step;
      ++starts_;
      if (running_->migration == nullptr) return;
      reporter_.StepStarted(*running_, static_cast<size_t>(index), static_cast<size_t>(count));
      return;
    }
    case kLine: {
      int64_t kind = 0;
      if (!message.Int(&kind) || !message.Text(&text_) || !message.Done()) return;
      if (kind < static_cast<int64_t>(LineKind::kOutput) || kind > static_cast<int64_t>(LineKind::kError)) return;
      reporter_.StepLine(static_cast<LineKind>(kind), text_);
      return;
    }
    case kFinish: {
      PlannedStep step;
      int64_t ok = 0;
      StepOutcome outcome;
      if (!ReadStep(message, &step) || !message.Int(&ok) || !message.Int(&outcome.duration_ms) ||
          !message.Text(&outcome.error) || !message.Text(&outcome.changelog_path) || !message.Done()) {
        return;
      }
      outcome.ok = ok != 0;
      running_.reset();
      if (step.migration != nullptr) reporter_.StepFinished(step, outcome);
      return;
    }
    case kStatus: {
      int64_t code = 0;
      if (!message.Int(&code) || !message.Text(&text_) || !message.Done()) return;
      if (code < 0 || code > INT32_MAX) return;
      final_ = code == 0 ? Status::Ok() : Status::Error(static_cast<ErrorKind>(code), text_);
      return;
    }
    default:
      return;
  }
}

}  // namespace lm
