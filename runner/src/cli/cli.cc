#include "cli/cli.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cli/cli_commands.h"
#include "cli/cli_io.h"
#include "cli/cli_options.h"
#include "cli/completion.h"
#include "run/engine.h"
#include "cli/human_reporter.h"

namespace lm {
namespace {

// Commands that need neither a config nor the engine.
int RunTool(const Invocation& inv, const CliOutput& io) {
  if (inv.command == "man") {
    if (!inv.arguments.empty()) return Fail(io, Status::Error(ErrorKind::kUsage, "'man' takes no arguments"));
    std::fputs(ManPage(RunnerVersion()).c_str(), io.out);
    return 0;
  }
  if (inv.arguments.size() != 1 || inv.arguments[0] != "bash")
    return Fail(io, Status::Error(ErrorKind::kUsage, "completion takes one shell: bash"));
  std::fputs(BashCompletionScript().c_str(), io.out);
  return 0;
}

int Run(const Invocation& inv, CliOutput& io) {
  if (inv.help) {
    std::fputs(HelpText().c_str(), io.out);
    return 0;
  }
  if (inv.package_version) {
    std::fprintf(io.out, "link-migration %s\n", RunnerVersion());
    return 0;
  }
  if (inv.output != "text" && inv.output != "json")
    return Fail(io, Status::Error(ErrorKind::kUsage, "--output takes text or json, not '" + inv.output + "'"));
  io.json = inv.output == "json";
  io.out_palette = Palette::For(io.out, inv.no_color || io.json);
  if (inv.command == "bundle" || inv.command == "keygen") return RunBundleCommand(inv, io);
  if (inv.command == "completion" || inv.command == "man") return RunTool(inv, io);
  if (inv.command == "new") return RunNewCommand(inv, io);
  if (!inv.command.empty() && (inv.command == "migrate" || FindEngineCommand(inv.command) == nullptr))
    return Fail(io, Status::Error(ErrorKind::kUsage, "unknown command '" + inv.command + "' (see --help)"));
  if (inv.config_file.empty())
    return Fail(io, Status::Error(ErrorKind::kUsage, "no config file: give one with -c FILE"));
  const bool wants_migrate = inv.up || inv.down || inv.to;
  if (inv.command.empty() && !wants_migrate && !inv.print_version)
    return Fail(io, Status::Error(ErrorKind::kUsage,
                                  "nothing to do: give --up, --down, --to=N, -v or a command such as status"));

  EngineOptions options;
  Status status = EngineOptionsFrom(inv, &options);
  std::unique_ptr<Engine> engine;
  if (status.ok()) status = Engine::Open(options, &engine);
  if (!status.ok()) return Fail(io, status);
  HumanStyle style;
  style.verbosity = inv.quiet ? Verbosity::kQuiet : inv.verbose ? Verbosity::kVerbose : Verbosity::kNormal;
  style.palette = io.out_palette;
  style.live = !io.json && isatty(fileno(io.out)) == 1;
  HumanReporter reporter(io.out, io.err, style);
  if (inv.load_first)
    PrintNote(io, "--load-first is no longer needed: every plugin is loaded and checked before the first step");
  for (const std::string& note : engine->config().notes) PrintNote(io, note);
  const EngineCommand command = FindEngineCommand(inv.print_version && inv.command.empty() ? "current"
                                                  : inv.command.empty()                     ? "migrate"
                                                                                            : inv.command);
  return command(*engine, inv, reporter, io);
}

}  // namespace

int RunCli(int argc, char** argv) {
  // A closed stdout (`| head`) must not kill a run between a step and its
  // record: writes then fail quietly and the migration finishes.
  signal(SIGPIPE, SIG_IGN);
  // Steps' output is captured from descriptors 1 and 2; the CLI's own
  // output goes to duplicates taken now.
  CliOutput io;
  io.out = fdopen(dup(STDOUT_FILENO), "w");
  io.err = fdopen(dup(STDERR_FILENO), "w");
  if (io.out == nullptr || io.err == nullptr) return static_cast<int>(ErrorKind::kUsage);
  Invocation inv;
  Status parsed = ParseCommandLine(argc, argv, &inv);
  io.err_palette = Palette::For(io.err, inv.no_color || inv.output == "json");
  int code = parsed.ok() ? Run(inv, io) : Fail(io, parsed);
  std::fflush(io.out);
  std::fflush(io.err);
  return code;
}

}  // namespace lm
