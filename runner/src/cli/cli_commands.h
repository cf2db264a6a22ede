// The CLI's commands: each prints its result as text or JSON and returns
// the exit code (docs/cli.md).
#ifndef LINK_MIGRATION_RUNNER_CLI_COMMANDS_H
#define LINK_MIGRATION_RUNNER_CLI_COMMANDS_H

#include <string>

#include "cli/cli_io.h"
#include "cli/cli_options.h"
#include "run/engine.h"
#include "cli/human_reporter.h"

namespace lm {

// A command that works on the config's store and plugins.
using EngineCommand = int (*)(Engine& engine, const Invocation& inv, HumanReporter& reporter, const CliOutput& io);

// nullptr when `name` is not one. "migrate" stands for the seed's flags
// (--up, --down, --to) with no command.
EngineCommand FindEngineCommand(const std::string& name);

// `bundle ...` and `keygen`: no config needed.
int RunBundleCommand(const Invocation& inv, const CliOutput& io);

// `new NAME`: the config is optional when --dir is given.
int RunNewCommand(const Invocation& inv, const CliOutput& io);

// Options the engine needs from the command line.
Status EngineOptionsFrom(const Invocation& inv, EngineOptions* options);

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_CLI_COMMANDS_H
