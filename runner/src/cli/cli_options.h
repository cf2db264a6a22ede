// The command line's one definition: every command and option, with its
// help. --help, the bash completion script and the man page are all made
// from these tables (and the exit codes from kExitCodes in base/status.h), so
// they cannot disagree.
#ifndef LINK_MIGRATION_RUNNER_CLI_OPTIONS_H
#define LINK_MIGRATION_RUNNER_CLI_OPTIONS_H

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"

namespace lm {

// What a completion offers for an option's value.
enum class ValueHint { kNone, kFile, kDirectory, kNumber, kWord };

struct OptionSpec {
  const char* long_name;   // without the dashes
  char short_name;         // 0: none
  const char* value_name;  // nullptr: a switch that takes no value
  bool repeatable;
  ValueHint hint;
  const char* choices;  // kWord: the accepted values, space-separated
  const char* help;
};

enum class CommandGroup { kMigrate, kState, kRecovery, kAuthoring, kBundles, kTools };

struct CommandSpec {
  // One word, or two for a command with subcommands ("bundle create").
  const char* name;
  const char* arguments;  // "" when none
  CommandGroup group;
  const char* help;
};

std::span<const OptionSpec> Options();
std::span<const CommandSpec> Commands();
// A heading for --help and the man page.
const char* GroupTitle(CommandGroup group);

// The parsed command line.
struct Invocation {
  std::string config_file;
  std::string command;  // "" when the seed's flags choose the action
  std::vector<std::string> arguments;
  bool up = false;
  bool down = false;
  std::optional<int64_t> to;
  std::optional<int64_t> steps;
  bool dry_run = false;
  bool allow_out_of_order = false;
  bool no_validate = false;
  bool group = false;
  bool load_first = false;
  std::string output = "text";
  bool print_version = false;
  bool package_version = false;
  bool help = false;
  bool quiet = false;
  bool verbose = false;
  bool no_color = false;
  std::optional<int64_t> lock_timeout_ms;
  std::optional<int64_t> step_timeout_ms;
  std::vector<std::string> migrations;  // --migrations: folders and bundles instead of the config's
  std::string dir;                      // new: the folder to write to
  bool timestamp = false;               // new: a YYYYMMDDHHMMSS version
  std::string bundle_name;
  std::string bundle_version;
  std::string secret_key;
  std::vector<std::string> trusted_keys;
};

// Errors are kUsage, with the option at fault named.
Status ParseCommandLine(int argc, char** argv, Invocation* inv);

// Usage, commands, options and exit codes, as --help prints them.
std::string HelpText();

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_CLI_OPTIONS_H
