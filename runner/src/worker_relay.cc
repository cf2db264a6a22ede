#include "worker_relay.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "step_context.h"

namespace lm {
namespace {

using nlohmann::json;

json StepJson(const PlannedStep& step) {
  return json::array({step.migration->version, DirectionName(step.direction), step.previous_attempts});
}

}  // namespace

void RelayReporter::Send(const std::string& line) {
  // Whatever a step left in stdio buffers goes first.
  std::cout.flush();
  std::fflush(nullptr);
  std::string text = kReportMarker + line + "\n";
  for (size_t written = 0; written < text.size();) {
    ssize_t n = write(fd_, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the supervisor is gone; nothing left to tell
    written += static_cast<size_t>(n);
  }
}

void RelayReporter::Warning(const std::string& message) { Send(json{{"t", "warning"}, {"m", message}}.dump()); }

void RelayReporter::PlanReady(const std::string& store_name, const Plan& plan, bool dry_run) {
  json steps = json::array();
  for (const PlannedStep& step : plan.steps) {
    json described = StepJson(step);
    described.push_back(step.migration->description);
    described.push_back(step.migration->up_note);
    described.push_back(step.migration->down_note);
    steps.push_back(described);
  }
  Send(json{{"t", "plan"},
            {"store", store_name},
            {"current", plan.current_version},
            {"final", plan.final_version},
            {"dry", dry_run},
            {"steps", steps}}
           .dump(-1, ' ', false, json::error_handler_t::replace));
}

void RelayReporter::StepStarted(const PlannedStep& step, size_t index, size_t count) {
  Send(json{{"t", "start"}, {"step", StepJson(step)}, {"i", index}, {"n", count}}.dump());
}

void RelayReporter::StepLine(LineKind kind, const std::string& line) {
  // Invalid UTF-8 from a step must not break the relay.
  Send(json{{"t", "line"}, {"k", static_cast<int>(kind)}, {"m", line}}.dump(-1, ' ', false,
                                                                                json::error_handler_t::replace));
}

void RelayReporter::StepFinished(const PlannedStep& step, const StepOutcome& outcome) {
  Send(json{{"t", "finish"},
            {"step", StepJson(step)},
            {"ok", outcome.ok},
            {"ms", outcome.duration_ms},
            {"err", outcome.error},
            {"cl", outcome.changelog_path}}
           .dump(-1, ' ', false, json::error_handler_t::replace));
}

void RelayReporter::Finished(const Status& status) {
  Send(json{{"t", "status"}, {"code", status.exit_code()}, {"m", status.message()}}.dump(
      -1, ' ', false, json::error_handler_t::replace));
}

// A marker may follow a partial line the step printed without a newline:
// the text before it is still the step's output.
void RelayReplayer::Replay(const std::string& line) {
  const size_t marker = line.find_first_of(std::string{kReportMarker, kLogLineMarker});
  if (marker == std::string::npos) {
    reporter_.StepLine(LineKind::kOutput, line);
    return;
  }
  if (marker > 0) reporter_.StepLine(LineKind::kOutput, line.substr(0, marker));
  if (line[marker] == kReportMarker) {
    ReplayReport(line.substr(marker + 1));
    return;
  }
  static constexpr LineKind kByLevel[] = {LineKind::kDebug, LineKind::kInfo, LineKind::kWarning, LineKind::kError};
  const int level = marker + 1 < line.size() ? line[marker + 1] - '0' : -1;
  if (level >= 0 && level <= 3) {
    reporter_.StepLine(kByLevel[level], line.substr(marker + 2));
  } else {
    reporter_.StepLine(LineKind::kOutput, line.substr(marker + 1));
  }
}

PlannedStep RelayReplayer::StepFrom(const json& raw) const {
  PlannedStep step;
  const int64_t version = raw.at(0).get<int64_t>();
  auto described = described_.find(version);
  step.migration = described != described_.end() ? &described->second : catalog_.Find(version);
  step.direction = raw.at(1).get<std::string>() == "up" ? Direction::kUp : Direction::kDown;
  step.previous_attempts = raw.at(2).get<int32_t>();
  return step;
}

void RelayReplayer::ReplayReport(const std::string& text) {
  json message = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!message.is_object()) return;
  auto step_from = [this](const json& raw) { return StepFrom(raw); };
  try {
    const std::string type = message.at("t").get<std::string>();
    if (type == "warning") {
      reporter_.Warning(message.at("m").get<std::string>());
    } else if (type == "plan") {
      plan_ = Plan{};
      plan_.current_version = message.at("current").get<int64_t>();
      plan_.final_version = message.at("final").get<int64_t>();
      for (const json& raw : message.at("steps")) {
        const Migration* known = catalog_.Find(raw.at(0).get<int64_t>());
        if (known != nullptr && raw.size() >= 6) {
          Migration copy = *known;
          copy.description = raw.at(3).get<std::string>();
          copy.up_note = raw.at(4).get<std::string>();
          copy.down_note = raw.at(5).get<std::string>();
          described_[copy.version] = std::move(copy);
        }
        plan_.steps.push_back(step_from(raw));
      }
      reporter_.PlanReady(message.at("store").get<std::string>(), plan_, message.at("dry").get<bool>());
    } else if (type == "start") {
      running_ = step_from(message.at("step"));
      if (running_->migration == nullptr) return;
      reporter_.StepStarted(*running_, message.at("i").get<size_t>(), message.at("n").get<size_t>());
    } else if (type == "line") {
      reporter_.StepLine(static_cast<LineKind>(message.at("k").get<int>()), message.at("m").get<std::string>());
    } else if (type == "finish") {
      PlannedStep step = step_from(message.at("step"));
      StepOutcome outcome{message.at("ok").get<bool>(), message.at("ms").get<int64_t>(),
                          message.at("err").get<std::string>(), message.at("cl").get<std::string>()};
      running_.reset();
      if (step.migration != nullptr) reporter_.StepFinished(step, outcome);
    } else if (type == "status") {
      int code = message.at("code").get<int>();
      final_ = code == 0 ? Status::Ok()
                         : Status::Error(static_cast<ErrorKind>(code), message.at("m").get<std::string>());
    }
  } catch (const json::exception&) {
    // A malformed line is dropped; the worker's exit status still decides.
  }
}

}  // namespace lm
