#include "cli.h"

#include <signal.h>
#include <unistd.h>

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <algorithm>
#include <cctype>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "bundle_tool.h"
#include "engine.h"
#include "human_reporter.h"
#include "json_reporter.h"

#ifndef LM_STORE_DIR_FROM_BIN
#define LM_STORE_DIR_FROM_BIN "../lib/link-migration/stores"
#endif

namespace lm {
namespace {

namespace po = boost::program_options;

struct Invocation {
  std::string config_file;
  std::string command;              // "" when the seed's flags choose the action
  std::vector<std::string> arguments;
  bool up = false;
  bool down = false;
  std::optional<int64_t> to;
  std::optional<int64_t> steps;
  bool dry_run = false;
  bool allow_out_of_order = false;
  bool no_validate = false;
  bool group = false;
  std::string output = "text";
  bool print_version = false;
  bool package_version = false;
  bool help = false;
  std::optional<int64_t> lock_timeout_ms;
  std::optional<int64_t> step_timeout_ms;
  std::vector<std::string> migrations;  // --migrations: folders and bundles instead of the config's
  std::string bundle_name;
  std::string bundle_version;
  std::string secret_key;
  std::vector<std::string> trusted_keys;
};

struct CommandLine {
  po::options_description visible{"Options"};
  po::options_description all;
  po::positional_options_description positional;
};

// Streams the CLI prints to, duplicated before any step's output is captured.
struct Output {
  std::FILE* out;
  std::FILE* err;
};

const char* kUsage =
    "Usage: link-migration -c CONFIG [COMMAND] [OPTIONS]\n"
    "\n"
    "Moves a target up or down through versioned migration plugins.\n"
    "\n"
    "Commands:\n"
    "  up                 apply pending migrations (same as --up)\n"
    "  down               revert applied migrations (same as --down)\n"
    "  to N               end with exactly the versions <= N applied (same as --to=N)\n"
    "  status             list every known version: applied or pending, name, applied at\n"
    "  current            print the current migration version (same as -v)\n"
    "  mark-applied N     record N as applied without running it, after checking by hand\n"
    "  mark-pending N     remove N's record without running down, after checking by hand\n"
    "  validate           check applied migrations against the plugins: changed, missing, out of order\n"
    "  history            every recorded event: apply, revert, fail, mark, baseline, repair\n"
    "  baseline N         adopt an existing target: record versions <= N as applied, run nothing\n"
    "  repair             accept changed migrations: store their current checksums\n"
    "\n"
    "Bundles (no config needed):\n"
    "  bundle create OUT --name N --bundle-version V PLUGIN|FOLDER...\n"
    "  bundle inspect FILE       manifest, files, sizes, migrations, signatures\n"
    "  bundle verify FILE [--trusted-key HEX]...\n"
    "  bundle sign FILE --secret-key KEYFILE\n"
    "  keygen PREFIX             write PREFIX.pub and PREFIX.key (an ed25519 key pair)\n"
    "\n";

void Describe(CommandLine& line, Invocation& inv) {
  // clang-format off
  line.visible.add_options()
      ("config-file,c", po::value(&inv.config_file)->value_name("FILE"), "the JSON config file")
      ("migrations,m", po::value(&inv.migrations)->value_name("PATH")->composing(),
       "a migrations folder or bundle, instead of the config's (repeatable)")
      ("up,u", po::bool_switch(&inv.up), "apply every pending migration (or --steps of them)")
      ("down,d", po::bool_switch(&inv.down), "revert every applied migration (or --steps of them)")
      ("to,t", po::value<int64_t>()->value_name("N"), "go up or down to version N (0: revert everything)")
      ("steps,n", po::value<int64_t>()->value_name("K"), "with --up or --down: at most K steps")
      ("dry-run", po::bool_switch(&inv.dry_run), "print the exact plan; change nothing")
      ("no-exec", po::bool_switch(), "same as --dry-run")
      ("allow-out-of-order", po::bool_switch(&inv.allow_out_of_order),
       "apply pending versions older than the newest applied one")
      ("no-validate", po::bool_switch(&inv.no_validate), "migrate even if applied migrations drifted")
      ("group", po::bool_switch(&inv.group), "run every step in one store transaction: all or nothing")
      ("lock-timeout", po::value<int64_t>()->value_name("MS"), "wait at most MS ms for the store's lock (-1: forever)")
      ("step-timeout", po::value<int64_t>()->value_name("MS"), "kill a step that runs longer than MS ms")
      ("version,v", po::bool_switch(&inv.print_version), "print the current migration version")
      ("package-version", po::bool_switch(&inv.package_version), "print link-migration's own version")
      ("output,o", po::value(&inv.output)->value_name("FORMAT"), "text (default) or json")
      ("help,h", po::bool_switch(&inv.help), "show this help")
      ("name", po::value(&inv.bundle_name)->value_name("NAME"), "bundle create: the bundle's name")
      ("bundle-version", po::value(&inv.bundle_version)->value_name("V"), "bundle create: the bundle's version")
      ("secret-key", po::value(&inv.secret_key)->value_name("FILE"), "bundle sign: the .key file from keygen")
      ("trusted-key", po::value(&inv.trusted_keys)->value_name("HEX")->composing(),
       "bundle verify: require a valid signature by this public key (repeatable)");
  // clang-format on
  line.all.add(line.visible);
  line.all.add_options()("command", po::value(&inv.command))(
      "argument", po::value(&inv.arguments)->multitoken());
  line.positional.add("command", 1).add("argument", -1);
}

Status Parse(int argc, char** argv, Invocation* inv, CommandLine* line) {
  Describe(*line, *inv);
  try {
    po::variables_map values;
    po::store(po::command_line_parser(argc, argv).options(line->all).positional(line->positional).run(), values);
    po::notify(values);
    if (values.count("to")) inv->to = values["to"].as<int64_t>();
    if (values.count("steps")) inv->steps = values["steps"].as<int64_t>();
    if (values.count("lock-timeout")) inv->lock_timeout_ms = values["lock-timeout"].as<int64_t>();
    if (values.count("step-timeout")) inv->step_timeout_ms = values["step-timeout"].as<int64_t>();
    if (values["no-exec"].as<bool>()) inv->dry_run = true;
  } catch (const po::error& failure) {
    return Status::Error(ErrorKind::kUsage, std::string(failure.what()) + " (see --help)");
  }
  return Status::Ok();
}

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

void PrintStatus(const StatusReport& report, std::FILE* out) {
  std::fprintf(out, "Store: %s    Current version: %lld\n", report.store_name.c_str(),
               static_cast<long long>(report.current_version));
  size_t name_width = 4;
  for (const VersionStatus& line : report.versions) {
    const std::string& name = line.migration ? line.migration->name : line.record->name;
    name_width = std::max(name_width, name.size());
  }
  std::fprintf(out, "%10s  %-18s  %-*s  %s\n", "VERSION", "STATE", static_cast<int>(name_width), "NAME",
               "APPLIED AT");
  for (const VersionStatus& line : report.versions) {
    std::string state = line.record ? VersionStateName(line.record->state) : "pending";
    if (!line.migration) state += " (no plugin)";
    const std::string& name = line.migration ? line.migration->name : line.record->name;
    std::string at = line.record ? line.record->applied_at : "";
    std::fprintf(out, "%10lld  %-18s  %-*s  %s\n", static_cast<long long>(line.version), state.c_str(),
                 static_cast<int>(name_width), name.c_str(), at.c_str());
  }
}

int Fail(const Output& io, const Status& status) {
  std::string line = status.message();
  std::replace_if(line.begin(), line.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  std::fprintf(io.err, "link-migration: error: %s\n", line.c_str());
  std::fflush(io.err);
  return status.exit_code();
}

bool Json(const Invocation& inv) { return inv.output == "json"; }

void PrintJson(const nlohmann::json& document, const Output& io) {
  std::fprintf(io.out, "%s\n", document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

nlohmann::json RecordJson(const Record& record) {
  return {{"state", VersionStateName(record.state)}, {"applied_at", record.applied_at},
          {"applied_by", record.applied_by},         {"duration_ms", record.duration_ms},
          {"checksum", record.checksum},             {"error", record.error},
          {"attempts", record.attempts},             {"changelog", record.changelog_path},
          {"runner_version", record.runner_version}, {"run_id", record.run_id}};
}

int PrintCurrent(Engine& engine, const Invocation& inv, Reporter&, const Output& io) {
  int64_t version = 0;
  Status status = engine.GetCurrentVersion(&version);
  if (!status.ok()) return Fail(io, status);
  if (Json(inv)) {
    PrintJson({{"current_version", version}}, io);
  } else {
    std::fprintf(io.out, "%lld\n", static_cast<long long>(version));
  }
  return 0;
}

int ShowStatus(Engine& engine, const Invocation& inv, Reporter& reporter, const Output& io) {
  StatusReport report;
  Status status = engine.GetStatus(&report);
  if (!status.ok()) return Fail(io, status);
  if (Json(inv)) {
    nlohmann::json versions = nlohmann::json::array();
    for (const VersionStatus& line : report.versions) {
      nlohmann::json entry = line.record ? RecordJson(*line.record) : nlohmann::json{{"state", "pending"}};
      entry["version"] = line.version;
      entry["name"] = line.migration ? line.migration->name : line.record->name;
      entry["plugin"] = line.migration ? nlohmann::json(line.migration->file.string()) : nlohmann::json(nullptr);
      versions.push_back(std::move(entry));
    }
    PrintJson({{"store", report.store_name},
               {"current_version", report.current_version},
               {"versions", versions},
               {"warnings", report.warnings}},
              io);
    return 0;
  }
  for (const std::string& warning : report.warnings) reporter.Warning(warning);
  PrintStatus(report, io.out);
  return 0;
}

int Migrate(Engine& engine, const Invocation& inv, Reporter& reporter, const Output& io) {
  MigrateRequest request;
  Status status = MigrateRequestFrom(inv, &request);
  if (!status.ok()) return Fail(io, status);
  if (!Json(inv)) {
    status = engine.Migrate(request, reporter);
    return status.ok() ? 0 : Fail(io, status);
  }
  JsonReporter json;
  status = engine.Migrate(request, json);
  json.Finish(status, io.out);
  return status.ok() ? 0 : Fail(io, status);
}

int MarkVersion(Engine& engine, const Invocation& inv, Reporter& reporter, const Output& io) {
  int64_t version = 0;
  const bool applied = inv.command == "mark-applied";
  Status status = ParseVersionArgument(inv, &version);
  if (status.ok()) status = applied ? engine.MarkApplied(version, reporter) : engine.MarkPending(version, reporter);
  if (!status.ok()) return Fail(io, status);
  std::fprintf(io.out, "Version %lld marked %s.\n", static_cast<long long>(version), applied ? "applied" : "pending");
  return 0;
}

int Validate(Engine& engine, const Invocation& inv, Reporter&, const Output& io) {
  std::vector<Drift> drift;
  Status status = engine.Validate(&drift);
  if (!status.ok()) return Fail(io, status);
  if (Json(inv)) {
    nlohmann::json items = nlohmann::json::array();
    for (const Drift& item : drift)
      items.push_back({{"kind", DriftKindName(item.kind)}, {"version", item.version}, {"message", item.message}});
    PrintJson({{"valid", drift.empty()}, {"drift", items}}, io);
    return drift.empty() ? 0 : static_cast<int>(ErrorKind::kDrift);
  }
  for (const Drift& item : drift) std::fprintf(io.out, "%s: %s\n", DriftKindName(item.kind), item.message.c_str());
  if (drift.empty()) {
    std::fprintf(io.out, "Valid: every applied migration is present and unchanged, none is pending out of order.\n");
    return 0;
  }
  return Fail(io, Status::Error(ErrorKind::kDrift, std::to_string(drift.size()) + " problem" +
                                                       (drift.size() == 1 ? "" : "s") + " found (listed above)"));
}

int ShowHistory(Engine& engine, const Invocation& inv, Reporter& reporter, const Output& io) {
  std::vector<Event> events;
  bool supported = true;
  Status status = engine.GetHistory(&events, &supported);
  if (!status.ok()) return Fail(io, status);
  if (Json(inv)) {
    nlohmann::json items = nlohmann::json::array();
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
  std::fprintf(io.out, "%-24s  %-12s  %10s  %-24s  %-20s  %8s  %s\n", "AT", "EVENT", "VERSION", "NAME", "BY", "MS",
               "DETAIL");
  for (const Event& event : events) {
    std::fprintf(io.out, "%-24s  %-12s  %10lld  %-24s  %-20s  %8lld  %s\n", event.at.c_str(), event.kind.c_str(),
                 static_cast<long long>(event.version), event.name.c_str(), event.by.c_str(),
                 static_cast<long long>(event.duration_ms), event.detail.c_str());
  }
  return 0;
}

int BaselineAt(Engine& engine, const Invocation& inv, Reporter& reporter, const Output& io) {
  int64_t version = 0;
  Status status = ParseVersionArgument(inv, &version);
  if (status.ok()) status = engine.Baseline(version, reporter);
  if (!status.ok()) return Fail(io, status);
  std::fprintf(io.out, "Baseline recorded: versions up to %lld are applied.\n", static_cast<long long>(version));
  return 0;
}

int RepairChecksums(Engine& engine, const Invocation&, Reporter& reporter, const Output& io) {
  std::vector<std::string> repaired;
  Status status = engine.Repair(reporter, &repaired);
  if (!status.ok()) return Fail(io, status);
  for (const std::string& line : repaired) std::fprintf(io.out, "repaired %s\n", line.c_str());
  std::fprintf(io.out, "%zu record%s repaired.\n", repaired.size(), repaired.size() == 1 ? "" : "s");
  return 0;
}

struct Command {
  const char* name;
  int (*run)(Engine& engine, const Invocation& inv, Reporter& reporter, const Output& io);
};

// "migrate" stands for the seed's flags (--up, --down, --to) with no command.
constexpr Command kCommands[] = {
    {"migrate", Migrate},          {"up", Migrate},           {"down", Migrate},
    {"to", Migrate},               {"status", ShowStatus},    {"current", PrintCurrent},
    {"mark-applied", MarkVersion}, {"mark-pending", MarkVersion}, {"validate", Validate},
    {"history", ShowHistory},      {"baseline", BaselineAt},  {"repair", RepairChecksums},
};

const Command* FindCommand(const std::string& name) {
  for (const Command& command : kCommands)
    if (name == command.name) return &command;
  return nullptr;
}

// Commands that need no config: bundles and keys.
int RunBundleCommand(const Invocation& inv, const Output& io) {
  auto usage = [&io](const std::string& what) { return Fail(io, Status::Error(ErrorKind::kUsage, what)); };
  if (inv.command == "keygen") {
    if (inv.arguments.size() != 1) return usage("keygen takes one PREFIX (writes PREFIX.pub and PREFIX.key)");
    std::string public_key;
    Status status = GenerateKeyPair(inv.arguments[0], &public_key);
    if (!status.ok()) return Fail(io, status);
    std::fprintf(io.out, "Wrote %s.pub and %s.key (keep it secret). Public key:\n%s\n", inv.arguments[0].c_str(),
                 inv.arguments[0].c_str(), public_key.c_str());
    return 0;
  }
  const std::string action = inv.arguments.empty() ? "" : inv.arguments[0];
  if (action == "create") {
    if (inv.arguments.size() < 3) return usage("bundle create OUT PLUGIN|FOLDER... --name N --bundle-version V");
    std::vector<std::filesystem::path> inputs(inv.arguments.begin() + 2, inv.arguments.end());
    Status status = CreateBundle(inv.arguments[1], inputs, inv.bundle_name, inv.bundle_version, TrustPolicy{});
    if (!status.ok()) return Fail(io, status);
    std::fprintf(io.out, "Wrote bundle %s\n", inv.arguments[1].c_str());
    return 0;
  }
  if (action == "sign") {
    if (inv.arguments.size() != 2 || inv.secret_key.empty()) return usage("bundle sign FILE --secret-key KEYFILE");
    Status status = SignBundle(inv.arguments[1], inv.secret_key);
    if (!status.ok()) return Fail(io, status);
    std::fprintf(io.out, "Signed %s\n", inv.arguments[1].c_str());
    return 0;
  }
  if (action == "inspect" || action == "verify") {
    if (inv.arguments.size() != 2) return usage("bundle " + action + " FILE");
    BundlePolicy policy;
    for (std::string key : inv.trusted_keys) {
      std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
      policy.required_keys.insert(key);
    }
    Bundle bundle;
    Status status = ReadBundle(inv.arguments[1], policy, &bundle);
    if (!status.ok()) return Fail(io, status);
    if (action == "inspect") {
      PrintBundle(bundle, io.out);
    } else {
      std::fprintf(io.out, "Verified: %s %s, %zu files match the manifest%s.\n", bundle.manifest.name.c_str(),
                   bundle.manifest.version.c_str(), bundle.manifest.files.size(),
                   policy.required_keys.empty() ? "" : ", signed by a trusted key");
    }
    return 0;
  }
  return usage("bundle takes create, inspect, verify or sign (see --help)");
}

int Run(const Invocation& inv, const CommandLine& line, const Output& io) {
  if (inv.help) {
    std::ostringstream options;
    options << line.visible;
    std::fprintf(io.out, "%s%s\nExit codes: 0 ok, 1 a migration failed, 2 usage, 3 config, 4 plugin load,\n"
                         "5 store, 6 lock timeout, 7 plan refused, 8 drift, 9 needs repair, 10 step died,\n"
                         "11 step timed out (docs/cli.md).\n",
                 kUsage, options.str().c_str());
    return 0;
  }
  if (inv.package_version) {
    std::fprintf(io.out, "link-migration %s\n", RunnerVersion());
    return 0;
  }
  if (inv.output != "text" && inv.output != "json")
    return Fail(io, Status::Error(ErrorKind::kUsage, "--output takes text or json, not '" + inv.output + "'"));
  if (inv.command == "bundle" || inv.command == "keygen") return RunBundleCommand(inv, io);
  if (!inv.command.empty() && (inv.command == "migrate" || FindCommand(inv.command) == nullptr))
    return Fail(io, Status::Error(ErrorKind::kUsage, "unknown command '" + inv.command + "' (see --help)"));
  if (inv.config_file.empty())
    return Fail(io, Status::Error(ErrorKind::kUsage, "no config file: give one with -c FILE"));
  const bool wants_migrate = inv.up || inv.down || inv.to;
  if (inv.command.empty() && !wants_migrate && !inv.print_version)
    return Fail(io, Status::Error(ErrorKind::kUsage,
                                  "nothing to do: give --up, --down, --to=N, -v or a command such as status"));

  EngineOptions options;
  options.config_file = inv.config_file;
  options.builtin_store_dir = BuiltinStoreDir();
  for (const std::string& location : inv.migrations)
    options.migration_locations.push_back(std::filesystem::absolute(location).lexically_normal());
  if (inv.lock_timeout_ms) options.lock_timeout = std::chrono::milliseconds(*inv.lock_timeout_ms);
  if (inv.step_timeout_ms) {
    if (*inv.step_timeout_ms <= 0) return Fail(io, Status::Error(ErrorKind::kUsage, "--step-timeout needs MS > 0"));
    options.step_timeout = std::chrono::milliseconds(*inv.step_timeout_ms);
  }
  std::unique_ptr<Engine> engine;
  Status status = Engine::Open(options, &engine);
  if (!status.ok()) return Fail(io, status);
  HumanReporter reporter(io.out, io.err);

  if (inv.print_version && inv.command.empty()) return PrintCurrent(*engine, inv, reporter, io);
  const Command* command = FindCommand(inv.command.empty() ? "migrate" : inv.command);
  return command->run(*engine, inv, reporter, io);
}

}  // namespace

int RunCli(int argc, char** argv) {
  // A closed stdout (`| head`) must not kill a run between a step and its
  // record: writes then fail quietly and the migration finishes.
  signal(SIGPIPE, SIG_IGN);
  // Steps' output is captured from descriptors 1 and 2; the CLI's own
  // output goes to duplicates taken now.
  Output io{fdopen(dup(STDOUT_FILENO), "w"), fdopen(dup(STDERR_FILENO), "w")};
  if (io.out == nullptr || io.err == nullptr) return static_cast<int>(ErrorKind::kUsage);
  Invocation inv;
  CommandLine line;
  Status parsed = Parse(argc, argv, &inv, &line);
  int code = parsed.ok() ? Run(inv, line, io) : Fail(io, parsed);
  std::fflush(io.out);
  std::fflush(io.err);
  return code;
}

}  // namespace lm
