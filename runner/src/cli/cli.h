// The command line: parses arguments, runs the engine, prints results to
// stdout and one-line errors to stderr, and returns the exit code.
#ifndef LINK_MIGRATION_RUNNER_CLI_H
#define LINK_MIGRATION_RUNNER_CLI_H

namespace lm {

int RunCli(int argc, char** argv);

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_CLI_H
