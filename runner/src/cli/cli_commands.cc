#include "cli/cli_commands.h"

#include <boost/dll/runtime_symbol_info.hpp>
#include <cstdio>
#include <map>

#include "cli/json_reporter.h"
#include "cli/text_table.h"
#include "plan/drift.h"

#ifndef LM_STORE_DIR_FROM_BIN
#define LM_STORE_DIR_FROM_BIN "../lib/link-migration/stores"
#endif

namespace lm {
namespace {

using nlohmann::json;

Status ParseVersionArgument(const Invocation& inv, int64_t* version) {
  if (inv.arguments.size() != 1)
    return Status::Error(ErrorKind::kUsage, "'" + inv.command + "' takes one version number");
  try {
    size_t used = 0;
    *version = std::stoll(inv.arguments[0], &used);
    if (used == inv.arguments[0].size() && *version >= 0) return Status::Ok();
  } catch (const std::exception&) {
  }
  return Status::Error(ErrorKind::kUsage, "'" + inv.arguments[0] + "' is not a version number");
}

// Folds commands and the seed's flags into one migrate request.
Status MigrateRequestFrom(const Invocation& inv, MigrateRequest* request) {
  int actions = inv.up + inv.down + inv.to.has_value() + (inv.command == "up") + (inv.command == "down") +
                (inv.command == "to");
  if (actions > 1) return Status::Error(ErrorKind::kUsage, "choose one of up, down and to N");
  request->dry_run = inv.dry_run;
  request->validate = !inv.no_validate;
  request->allow_out_of_order = inv.allow_out_of_order;
  request->group = inv.group;
  if (inv.up || inv.command == "up") {
    request->mode = MigrateRequest::Mode::kUp;
  } else if (inv.down || inv.command == "down") {
    request->mode = MigrateRequest::Mode::kDown;
  } else {
    request->mode = MigrateRequest::Mode::kTo;
    if (inv.to) {
      request->target = *inv.to;
    } else {
      LM_RETURN_IF_ERROR(ParseVersionArgument(inv, &request->target));
    }
    if (request->target < 0) return Status::Error(ErrorKind::kUsage, "--to needs a version >= 0");
    if (inv.steps) return Status::Error(ErrorKind::kUsage, "--steps goes with up or down, not with to");
  }
  if (inv.steps) {
    if (*inv.steps <= 0) return Status::Error(ErrorKind::kUsage, "--steps needs a count > 0");
    request->max_steps = *inv.steps;
  }
  if (request->mode != MigrateRequest::Mode::kTo && !inv.arguments.empty())
    return Status::Error(ErrorKind::kUsage, "unexpected argument '" + inv.arguments[0] + "'");
  return Status::Ok();
}

std::filesystem::path BuiltinStoreDir() {
  boost::dll::fs::error_code error;
  auto program = boost::dll::program_location(error);
  if (error) return std::filesystem::path(LM_STORE_DIR_FROM_BIN);
  return (std::filesystem::path(program.parent_path().string()) / LM_STORE_DIR_FROM_BIN).lexically_normal();
}

Colour StateColour(std::string_view state) {
  if (state == "applied") return Colour::kGreen;
  if (state == "pending") return Colour::kYellow;
  return Colour::kRed;  // running, failed-*, or with a note (drift, no plugin)
}

json RecordJson(const Record& record) {
  return {{"state", VersionStateName(record.state)}, {"applied_at", record.applied_at},
          {"applied_by", record.applied_by},         {"duration_ms", record.duration_ms},
          {"checksum", record.checksum},             {"error", record.error},
          {"attempts", record.attempts},             {"changelog", record.changelog_path},
          {"runner_version", record.runner_version}, {"run_id", record.run_id}};
}

// What status adds to a version's state for its drift, as Flyway's info
// does; validate says why and the way out.
const char* DriftNote(Drift::Kind kind) {
  switch (kind) {
    case Drift::Kind::kChecksumChanged:
      return "changed";
    case Drift::Kind::kChecksumMissing:
      return "checksum missing";
    case Drift::Kind::kMissing:
      return "no plugin";
    case Drift::Kind::kOutOfOrder:
      return "out of order";
    case Drift::Kind::kBrokenPlugin:
      return "broken plugin";  // never a version's: status lists them apart
  }
  return "drift";
}

// Each drifted version's drift, found as validate finds it. Usually empty.
std::map<int64_t, Drift> DriftByVersion(const Catalog& catalog, const std::vector<Record>& records) {
  std::map<int64_t, Drift> by_version;
  for (Drift& drift : FindDrift(catalog, records))
    if (drift.kind != Drift::Kind::kBrokenPlugin) by_version.emplace(drift.version, std::move(drift));
  return by_version;
}

json BrokenJson(const std::vector<Status>& problems) {
  json messages = json::array();
  for (const Status& problem : problems) messages.push_back(problem.message());
  return messages;
}

int PrintCurrent(Engine& engine, const Invocation&, HumanReporter&, const CliOutput& io) {
  int64_t version = 0;
  Status status = engine.GetCurrentVersion(&version);
  if (!status.ok()) return Fail(io, status);
  if (io.json) {
    PrintJson({{"current_version", version}}, io);
  } else {
    std::fprintf(io.out, "%lld\n", static_cast<long long>(version));
  }
  return 0;
}

// Status shows what the store holds even when a plugin file cannot be read,
// and then names every such file and fails.
int BrokenPluginsFailure(const std::vector<Status>& problems, const CliOutput& io) {
  if (problems.empty()) return 0;
  if (problems.size() == 1) return Fail(io, problems.front());
  return Fail(io, Status::Error(ErrorKind::kPluginLoad, std::to_string(problems.size()) +
                                                            " problems with plugin files (listed above)"));
}

int ShowStatus(Engine& engine, const Invocation&, HumanReporter& reporter, const CliOutput& io) {
  StatusReport report;
  Status status = engine.GetStatus(&report);
  if (!status.ok()) return Fail(io, status);
  const std::vector<Status>& broken = engine.catalog().problems();
  const std::map<int64_t, Drift> drift = DriftByVersion(engine.catalog(), report.records);
  auto drift_of = [&drift](int64_t version) {
    auto found = drift.find(version);
    return found == drift.end() ? nullptr : &found->second;
  };
  if (io.json) {
    json versions = json::array();
    for (const VersionStatus& line : report.versions) {
      json entry = line.record ? RecordJson(*line.record) : json{{"state", "pending"}};
      entry["version"] = line.version;
      entry["name"] = line.migration ? line.migration->name : line.record->name;
      entry["plugin"] = line.migration ? json(line.migration->file) : json(nullptr);
      const Drift* drifted = drift_of(line.version);
      entry["drift"] = drifted ? json{{"kind", DriftKindName(drifted->kind)}, {"message", drifted->message}} : json();
      versions.push_back(std::move(entry));
    }
    PrintJson({{"store", report.store_name},
               {"current_version", report.current_version},
               {"versions", versions},
               {"broken_plugins", BrokenJson(broken)},
               {"warnings", report.warnings}},
              io);
    return broken.empty() ? 0 : static_cast<int>(ErrorKind::kPluginLoad);
  }
  for (const std::string& warning : report.warnings) reporter.Warning(warning);
  std::fprintf(io.out, "Store: %s    Current version: %lld\n", report.store_name.c_str(),
               static_cast<long long>(report.current_version));
  TextTable table({{"VERSION", TextTable::Align::kRight}, {"STATE"}, {"NAME"}, {"APPLIED AT"}});
  table.ReserveRows(report.versions.size());
  for (const VersionStatus& line : report.versions) {
    const std::string_view state = line.record ? VersionStateName(line.record->state) : "pending";
    const Drift* drifted = drift_of(line.version);
    // A record no plugin has that is not applied (failed-partial, say) is no drift, but has no plugin all the same.
    const char* note = drifted ? DriftNote(drifted->kind) : line.migration ? nullptr : "no plugin";
    const std::string_view shown = note ? table.Keep(std::string(state) + ", " + note) : state;
    table.AddRow({{table.Keep(std::to_string(line.version))},
                  {shown, StateColour(shown)},
                  {line.migration ? line.migration->name : line.record->name},
                  {line.record ? std::string_view(line.record->applied_at) : std::string_view()}});
  }
  table.Print(io.out, io.out_palette);
  for (const Status& problem : broken)
    std::fprintf(io.out, "%s %s\n", io.out_palette.Paint("broken:", Colour::kRed).c_str(), problem.message().c_str());
  return BrokenPluginsFailure(broken, io);
}

int Migrate(Engine& engine, const Invocation& inv, HumanReporter& reporter, const CliOutput& io) {
  MigrateRequest request;
  Status status = MigrateRequestFrom(inv, &request);
  if (!status.ok()) return Fail(io, status);
  if (!io.json) {
    status = engine.Migrate(request, reporter);
    reporter.Finish(status);
    return status.ok() ? 0 : Fail(io, status);
  }
  JsonReporter json_reporter;
  status = engine.Migrate(request, json_reporter);
  json_reporter.Finish(status, io.out);
  return status.ok() ? 0 : Fail(io, status);
}

int MarkVersion(Engine& engine, const Invocation& inv, HumanReporter& reporter, const CliOutput& io) {
  int64_t version = 0;
  const bool applied = inv.command == "mark-applied";
  Status status = ParseVersionArgument(inv, &version);
  if (status.ok()) status = applied ? engine.MarkApplied(version, reporter) : engine.MarkPending(version, reporter);
  if (!status.ok()) return Fail(io, status);
  std::fprintf(io.out, "Version %lld marked %s.\n", static_cast<long long>(version), applied ? "applied" : "pending");
  return 0;
}

int Validate(Engine& engine, const Invocation&, HumanReporter&, const CliOutput& io) {
  std::vector<Drift> drift;
  Status status = engine.Validate(&drift);
  if (!status.ok()) return Fail(io, status);
  if (io.json) {
    json items = json::array();
    for (const Drift& item : drift)
      items.push_back({{"kind", DriftKindName(item.kind)}, {"version", item.version}, {"message", item.message}});
    PrintJson({{"valid", drift.empty()}, {"drift", items}}, io);
    return drift.empty() ? 0 : static_cast<int>(ErrorKind::kDrift);
  }
  for (const Drift& item : drift)
    std::fprintf(io.out, "%s %s\n", io.out_palette.Paint(std::string(DriftKindName(item.kind)) + ":", Colour::kRed).c_str(),
                 item.message.c_str());
  if (drift.empty()) {
    std::fprintf(io.out, "Valid: every applied migration is present and unchanged, none is pending out of order.\n");
    return 0;
  }
  return Fail(io, Status::Error(ErrorKind::kDrift, std::to_string(drift.size()) + " problem" +
                                                       (drift.size() == 1 ? "" : "s") + " found (listed above)"));
}

Colour EventColour(const std::string& kind) {
  if (kind == "apply") return Colour::kGreen;
  if (kind == "fail") return Colour::kRed;
  if (kind == "revert") return Colour::kNone;
  return Colour::kYellow;  // marks, baseline, repair: a human stepped in
}

int ShowHistory(Engine& engine, const Invocation&, HumanReporter& reporter, const CliOutput& io) {
  std::vector<Event> events;
  bool supported = true;
  Status status = engine.GetHistory(&events, &supported);
  if (!status.ok()) return Fail(io, status);
  if (io.json) {
    json items = json::array();
    for (const Event& event : events)
      items.push_back({{"at", event.at},
                       {"kind", event.kind},
                       {"version", event.version},
                       {"name", event.name},
                       {"by", event.by},
                       {"duration_ms", event.duration_ms},
                       {"detail", event.detail},
                       {"run_id", event.run_id}});
    PrintJson({{"history_supported", supported}, {"events", items}}, io);
    return 0;
  }
  if (!supported) reporter.Warning("this store keeps no history");
  TextTable table({{"AT"},
                   {"EVENT"},
                   {"VERSION", TextTable::Align::kRight},
                   {"NAME"},
                   {"BY"},
                   {"MS", TextTable::Align::kRight},
                   {"DETAIL"}});
  for (const Event& event : events) {
    table.AddRow({{event.at},
                  {event.kind, EventColour(event.kind)},
                  {table.Keep(std::to_string(event.version))},
                  {event.name},
                  {event.by},
                  {table.Keep(std::to_string(event.duration_ms))},
                  {event.detail}});
  }
  table.Print(io.out, io.out_palette);
  return 0;
}

int BaselineAt(Engine& engine, const Invocation& inv, HumanReporter& reporter, const CliOutput& io) {
  int64_t version = 0;
  Status status = ParseVersionArgument(inv, &version);
  if (status.ok()) status = engine.Baseline(version, reporter);
  if (!status.ok()) return Fail(io, status);
  std::fprintf(io.out, "Baseline recorded: versions up to %lld are applied.\n", static_cast<long long>(version));
  return 0;
}

int RepairChecksums(Engine& engine, const Invocation&, HumanReporter& reporter, const CliOutput& io) {
  std::vector<std::string> repaired;
  Status status = engine.Repair(reporter, &repaired);
  if (!status.ok()) return Fail(io, status);
  for (const std::string& line : repaired) std::fprintf(io.out, "repaired %s\n", line.c_str());
  std::fprintf(io.out, "%zu record%s repaired.\n", repaired.size(), repaired.size() == 1 ? "" : "s");
  return 0;
}

struct NamedCommand {
  const char* name;
  EngineCommand run;
};

constexpr NamedCommand kEngineCommands[] = {
    {"migrate", Migrate},          {"up", Migrate},               {"down", Migrate},
    {"to", Migrate},               {"status", ShowStatus},        {"current", PrintCurrent},
    {"mark-applied", MarkVersion}, {"mark-pending", MarkVersion}, {"validate", Validate},
    {"history", ShowHistory},      {"baseline", BaselineAt},      {"repair", RepairChecksums},
};

}  // namespace

EngineCommand FindEngineCommand(const std::string& name) {
  for (const NamedCommand& command : kEngineCommands)
    if (name == command.name) return command.run;
  return nullptr;
}

Status EngineOptionsFrom(const Invocation& inv, EngineOptions* options) {
  options->config_file = inv.config_file;
  options->builtin_store_dir = BuiltinStoreDir();
  for (const std::string& location : inv.migrations)
    options->migration_locations.push_back(std::filesystem::absolute(location).lexically_normal());
  if (inv.lock_timeout_ms) options->lock_timeout = std::chrono::milliseconds(*inv.lock_timeout_ms);
  if (inv.step_timeout_ms) {
    if (*inv.step_timeout_ms <= 0) return Status::Error(ErrorKind::kUsage, "--step-timeout needs MS > 0");
    options->step_timeout = std::chrono::milliseconds(*inv.step_timeout_ms);
  }
  const bool prints_version = inv.command.empty() && inv.print_version;  // as Run picks "current"
  options->store_only = inv.command == "current" || inv.command == "history" || prints_version;
  return Status::Ok();
}

}  // namespace lm
