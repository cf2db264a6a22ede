#include "run/worker_relay.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <iostream>

namespace lm {
namespace {

// The report types (relay_format.h), one letter each.
constexpr char kWarning = 'W';
constexpr char kPlan = 'P';
constexpr char kLoading = 'O';
constexpr char kStart = 'S';
constexpr char kLine = 'L';
constexpr char kFinish = 'F';
constexpr char kStatus = 'X';
constexpr char kOutput = 'R';  // where the steps' output file ends now

void WriteStep(relay::MessageWriter& writer, const PlannedStep& step) {
  writer.Int(step.migration->version);
  writer.Int(step.direction == Direction::kUp ? 0 : 1);
  writer.Int(step.previous_attempts);
}

bool ByVersion(const Migration& a, const Migration& b) { return a.version < b.version; }

}  // namespace

void RelayReporter::Send() {
  std::cout.flush();
  std::fflush(nullptr);
  struct stat output {};
  if (output_fd_ >= 0 && fstat(output_fd_, &output) == 0 && static_cast<uint64_t>(output.st_size) > output_told_) {
    output_told_ = static_cast<uint64_t>(output.st_size);
    relay::MessageWriter reached;
    reached.Start(kOutput);
    reached.Int(static_cast<int64_t>(output_told_));
    Write(reached.Finish());
  }
  Write(writer_.Finish());
}

void RelayReporter::Write(const std::string& text) {
  for (size_t written = 0; written < text.size();) {
    const ssize_t n = write(fd_, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the supervisor is gone; nothing left to tell
    written += static_cast<size_t>(n);
  }
}

void RelayReporter::Warning(const std::string& message) {
  writer_.Start(kWarning);
  writer_.Text(message);
  Send();
}

void RelayReporter::PlanReady(const std::string& store_name, const Plan& plan, bool dry_run) {
  writer_.Start(kPlan);
  writer_.Text(store_name);
  writer_.Int(plan.current_version);
  writer_.Int(plan.final_version);
  writer_.Int(dry_run ? 1 : 0);
  writer_.Int(static_cast<int64_t>(plan.steps.size()));
  for (const PlannedStep& step : plan.steps) {
    WriteStep(writer_, step);
    writer_.Text(step.migration->description);
    writer_.Text(step.migration->up_note);
    writer_.Text(step.migration->down_note);
  }
  Send();
}

void RelayReporter::Loading(const std::string& file) {
  writer_.Start(kLoading);
  writer_.Text(file);
  Send();
}

void RelayReporter::StepStarted(const PlannedStep& step, size_t index, size_t count) {
  writer_.Start(kStart);
  WriteStep(writer_, step);
  writer_.Int(static_cast<int64_t>(index));
  writer_.Int(static_cast<int64_t>(count));
  Send();
}

void RelayReporter::StepLine(LineKind kind, const std::string& line) {
  writer_.Start(kLine);
  writer_.Int(static_cast<int64_t>(kind));
  writer_.Text(line);
  Send();
}

void RelayReporter::StepFinished(const PlannedStep& step, const StepOutcome& outcome) {
  writer_.Start(kFinish);
  WriteStep(writer_, step);
  writer_.Int(outcome.ok ? 1 : 0);
  writer_.Int(outcome.duration_ms);
  writer_.Text(outcome.error);
  writer_.Text(outcome.changelog_path);
  Send();
}

void RelayReporter::Finished(const Status& status) {
  writer_.Start(kStatus);
  writer_.Int(status.exit_code());
  writer_.Text(status.message());
  Send();
}

bool RelayReplayer::ReadStep(relay::MessageReader& message, PlannedStep* step) const {
  int64_t version = 0, direction = 0, attempts = 0;
  if (!message.Int(&version) || !message.Int(&direction) || !message.Int(&attempts)) return false;
  if (direction != 0 && direction != 1) return false;
  if (attempts < INT32_MIN || attempts > INT32_MAX) return false;
  Migration key;
  key.version = version;
  auto described = std::lower_bound(described_.begin(), described_.end(), key, ByVersion);
  if (described == described_.end() || described->version != version) return false;
  step->migration = &*described;
  step->direction = direction == 0 ? Direction::kUp : Direction::kDown;
  step->previous_attempts = static_cast<int32_t>(attempts);
  return true;
}

// The whole plan is read before the reporter hears of it: a cut-off plan is
// dropped, not reported in part.
void RelayReplayer::ReplayPlan(relay::MessageReader& message) {
  // The worker sends one plan, before any step; another would also free
  // the texts a running step's report points into.
  if (phase_ != WorkerPhase::kPreparing && phase_ != WorkerPhase::kLoading) return;
  std::string store;
  int64_t current = 0, final_version = 0, dry = 0, count = 0;
  if (!message.Text(&store) || !message.Int(&current) || !message.Int(&final_version) || !message.Int(&dry) ||
      !message.Int(&count) || count < 0 || static_cast<size_t>(count) > catalog_.migrations().size()) {
    return;
  }
  struct Entry {
    int64_t version, direction, attempts;
  };
  std::vector<Entry> entries;
  std::vector<Migration> described;
  entries.reserve(static_cast<size_t>(count));
  described.reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    Entry entry{};
    Migration copy;
    if (!message.Int(&entry.version) || !message.Int(&entry.direction) || !message.Int(&entry.attempts) ||
        !message.Text(&copy.description) || !message.Text(&copy.up_note) || !message.Text(&copy.down_note)) {
      return;
    }
    // The worker plans from a copy of this catalog: a version it does not
    // hold is a broken report.
    const Migration* known = catalog_.Find(entry.version);
    if (known == nullptr || entry.direction < 0 || entry.direction > 1 || entry.attempts < INT32_MIN ||
        entry.attempts > INT32_MAX)
      return;
    copy.version = known->version;
    copy.name = known->name;
    copy.checksum = known->checksum;
    copy.flags = known->flags;
    copy.has_down = known->has_down;
    copy.file = known->file;
    entries.push_back(entry);
    described.push_back(std::move(copy));
  }
  if (!message.Done()) return;
  std::sort(described.begin(), described.end(), ByVersion);
  if (std::adjacent_find(described.begin(), described.end(), [](const Migration& a, const Migration& b) {
        return a.version == b.version;
      }) != described.end())
    return;
  described_ = std::move(described);
  Plan plan;
  plan.current_version = current;
  plan.final_version = final_version;
  plan.steps.reserve(entries.size());
  for (const Entry& entry : entries) {
    Migration key;
    key.version = entry.version;
    PlannedStep step;
    step.migration = &*std::lower_bound(described_.begin(), described_.end(), key, ByVersion);
    step.direction = entry.direction == 0 ? Direction::kUp : Direction::kDown;
    step.previous_attempts = static_cast<int32_t>(entry.attempts);
    plan.steps.push_back(step);
  }
  plan_ = std::move(plan);
  phase_ = WorkerPhase::kReady;
  reporter_.PlanReady(store, plan_, dry != 0);
}

void RelayReplayer::ShowOutputUpTo(uint64_t end) {
  if (output_fd_ < 0) return;
  char buffer[65536];
  while (output_shown_ < end) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(sizeof(buffer), end - output_shown_));
    const ssize_t got = pread(output_fd_, buffer, want, static_cast<off_t>(output_shown_));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    output_shown_ += static_cast<uint64_t>(got);
    Output(std::string_view(buffer, static_cast<size_t>(got)));
  }
  // What was shown is given back, a megabyte at a time: a step that prints
  // gigabytes must not keep them in memory.
  constexpr uint64_t kReleaseEvery = uint64_t{1} << 20;
  const uint64_t releasable = output_shown_ & ~(kReleaseEvery - 1);
  if (releasable > output_released_) {
    // A file that cannot give memory back just keeps it.
    (void)fallocate(output_fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, static_cast<off_t>(releasable));
    output_released_ = releasable;
  }
}

void RelayReplayer::Output(std::string_view bytes) {
  output_.Feed(bytes, [&](std::string_view line) { reporter_.StepLine(LineKind::kOutput, std::string(line)); });
}

void RelayReplayer::EndOutputLine() {
  if (output_.has_partial()) reporter_.StepLine(LineKind::kOutput, output_.TakePartial());
}

void RelayReplayer::Replay(std::string_view line) {
  relay::MessageReader message(line);
  if (message.type() == kOutput) {
    int64_t end = 0;
    if (message.Int(&end) && message.Done() && end >= 0) ShowOutputUpTo(static_cast<uint64_t>(end));
    return;
  }
  EndOutputLine();
  if (phase_ == WorkerPhase::kFinished) return;  // nothing follows the last word
  switch (message.type()) {
    case kWarning:
      if (message.Text(&text_) && message.Done()) reporter_.Warning(text_);
      return;
    case kPlan:
      ReplayPlan(message);
      return;
    case kLoading:
      if (phase_ != WorkerPhase::kPreparing && phase_ != WorkerPhase::kLoading) return;
      if (!message.Text(&text_) || !message.Done()) return;
      loading_file_ = text_;
      phase_ = WorkerPhase::kLoading;
      return;
    case kStart: {
      PlannedStep step;
      int64_t index = 0, count = 0;
      if (phase_ != WorkerPhase::kReady) return;
      if (!ReadStep(message, &step) || !message.Int(&index) || !message.Int(&count) || !message.Done()) return;
      running_ = step;
      phase_ = WorkerPhase::kInStep;
      ++starts_;
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
      if (phase_ != WorkerPhase::kInStep) return;
      if (!ReadStep(message, &step) || !message.Int(&ok) || !message.Int(&outcome.duration_ms) ||
          !message.Text(&outcome.error) || !message.Text(&outcome.changelog_path) || !message.Done()) {
        return;
      }
      outcome.ok = ok != 0;
      running_.reset();
      phase_ = WorkerPhase::kReady;
      reporter_.StepFinished(step, outcome);
      return;
    }
    case kStatus: {
      int64_t code = 0;
      if (!message.Int(&code) || !message.Text(&text_) || !message.Done()) return;
      if (code < 0 || code > INT32_MAX) return;
      final_ = code == 0 ? Status::Ok() : Status::Error(static_cast<ErrorKind>(code), text_);
      phase_ = WorkerPhase::kFinished;
      return;
    }
    default:
      return;
  }
}

}  // namespace lm
