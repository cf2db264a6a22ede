#include "cli/cli_options.h"

#include <boost/program_options.hpp>
#include <sstream>

namespace lm {
namespace {

namespace po = boost::program_options;

// clang-format off
constexpr OptionSpec kOptions[] = {
    {"config-file", 'c', "FILE", false, ValueHint::kFile, nullptr, "the JSON config file"},
    {"migrations", 'm', "PATH", true, ValueHint::kFile, nullptr,
     "a migrations folder or bundle, instead of the config's (repeatable)"},
    {"up", 'u', nullptr, false, ValueHint::kNone, nullptr, "apply every pending migration (or --steps of them)"},
    {"down", 'd', nullptr, false, ValueHint::kNone, nullptr, "revert every applied migration (or --steps of them)"},
    {"to", 't', "N", false, ValueHint::kNumber, nullptr, "go up or down to version N (0: revert everything)"},
    {"steps", 'n', "K", false, ValueHint::kNumber, nullptr, "with --up or --down: at most K steps"},
    {"dry-run", 0, nullptr, false, ValueHint::kNone, nullptr, "print the exact plan; change nothing"},
    {"no-exec", 0, nullptr, false, ValueHint::kNone, nullptr, "same as --dry-run"},
    {"allow-out-of-order", 0, nullptr, false, ValueHint::kNone, nullptr,
     "apply pending versions older than the newest applied one"},
    {"no-validate", 0, nullptr, false, ValueHint::kNone, nullptr, "migrate even if applied migrations drifted"},
    {"group", 0, nullptr, false, ValueHint::kNone, nullptr, "run every step in one store transaction: all or nothing"},
    {"load-first", 0, nullptr, false, ValueHint::kNone, nullptr,
     "load and check every plugin before the first step, not while steps run"},
    {"lock-timeout", 0, "MS", false, ValueHint::kNumber, nullptr,
     "wait at most MS ms for the store's lock (-1: forever)"},
    {"step-timeout", 0, "MS", false, ValueHint::kNumber, nullptr, "kill a step that runs longer than MS ms"},
    {"version", 'v', nullptr, false, ValueHint::kNone, nullptr, "print the current migration version"},
    {"package-version", 0, nullptr, false, ValueHint::kNone, nullptr, "print link-migration's own version"},
    {"output", 'o', "FORMAT", false, ValueHint::kWord, "text json", "text (default) or json"},
    {"quiet", 'q', nullptr, false, ValueHint::kNone, nullptr, "print only errors and the final line"},
    {"verbose", 0, nullptr, false, ValueHint::kNone, nullptr,
     "also print the plan, step descriptions and debug lines"},
    {"no-color", 0, nullptr, false, ValueHint::kNone, nullptr, "never colour the output (as NO_COLOR=1 does)"},
    {"help", 'h', nullptr, false, ValueHint::kNone, nullptr, "show this help"},
    {"dir", 0, "FOLDER", false, ValueHint::kDirectory, nullptr,
     "new: write the source here, not in the config's first migrations folder"},
    {"timestamp", 0, nullptr, false, ValueHint::kNone, nullptr,
     "new: version the migration YYYYMMDDHHMMSS (UTC now), not latest + 1"},
    {"name", 0, "NAME", false, ValueHint::kNone, nullptr, "bundle create: the bundle's name"},
    {"bundle-version", 0, "V", false, ValueHint::kNone, nullptr, "bundle create: the bundle's version"},
    {"secret-key", 0, "FILE", false, ValueHint::kFile, nullptr, "bundle sign: the .key file from keygen"},
    {"trusted-key", 0, "HEX", true, ValueHint::kNone, nullptr,
     "bundle verify: require a valid signature by this public key (repeatable)"},
};

constexpr CommandSpec kCommands[] = {
    {"up", "", CommandGroup::kMigrate, "apply pending migrations (same as --up)"},
    {"down", "", CommandGroup::kMigrate, "revert applied migrations (same as --down)"},
    {"to", "N", CommandGroup::kMigrate, "end with exactly the versions <= N applied (same as --to=N)"},
    {"status", "", CommandGroup::kState, "list every known version: applied or pending, name, applied at"},
    {"current", "", CommandGroup::kState, "print the current migration version (same as -v)"},
    {"validate", "", CommandGroup::kState,
     "check applied migrations against the plugins: changed, missing, out of order"},
    {"history", "", CommandGroup::kState, "every recorded event: apply, revert, fail, mark, baseline, repair"},
    {"mark-applied", "N", CommandGroup::kRecovery, "record N as applied without running it, after checking by hand"},
    {"mark-pending", "N", CommandGroup::kRecovery, "remove N's record without running down, after checking by hand"},
    {"baseline", "N", CommandGroup::kRecovery,
     "adopt an existing target: record versions <= N as applied, run nothing"},
    {"repair", "", CommandGroup::kRecovery, "accept changed migrations: store their current checksums"},
    {"new", "NAME", CommandGroup::kAuthoring,
     "write NAME's migration source with the next free version; print its CMake line"},
    {"bundle create", "OUT --name N --bundle-version V PLUGIN|FOLDER...", CommandGroup::kBundles,
     "write the plugins and their manifest to the bundle OUT"},
    {"bundle inspect", "FILE [-c CONFIG]", CommandGroup::kBundles, "manifest, files, sizes, migrations, signatures"},
    {"bundle verify", "FILE [--trusted-key HEX]... [-c CONFIG]", CommandGroup::kBundles,
     "check every file against the manifest, and the signatures (-c: the config's bundle limits)"},
    {"bundle sign", "FILE --secret-key KEYFILE", CommandGroup::kBundles, "add an ed25519 signature"},
    {"keygen", "PREFIX", CommandGroup::kBundles, "write PREFIX.pub and PREFIX.key (an ed25519 key pair)"},
    {"completion", "bash", CommandGroup::kTools, "print the bash completion script"},
    {"man", "", CommandGroup::kTools, "print the man page (roff, section 1)"},
};

// clang-format on

std::string BoostName(const OptionSpec& option) {
  std::string name = option.long_name;
  if (option.short_name != 0) name += std::string(",") + option.short_name;
  return name;
}

po::options_description VisibleOptions() {
  po::options_description visible("Options");
  for (const OptionSpec& option : kOptions) {
    const std::string name = BoostName(option);
    if (option.value_name == nullptr) {
      visible.add_options()(name.c_str(), po::bool_switch(), option.help);
    } else if (option.repeatable) {
      visible.add_options()(name.c_str(),
                            po::value<std::vector<std::string>>()->value_name(option.value_name)->composing(),
                            option.help);
    } else {
      visible.add_options()(name.c_str(), po::value<std::string>()->value_name(option.value_name), option.help);
    }
  }
  return visible;
}

bool Switch(const po::variables_map& values, const char* name) { return values[name].as<bool>(); }

void Text(const po::variables_map& values, const char* name, std::string* out) {
  if (values.count(name)) *out = values[name].as<std::string>();
}

void Texts(const po::variables_map& values, const char* name, std::vector<std::string>* out) {
  if (values.count(name)) *out = values[name].as<std::vector<std::string>>();
}

Status Number(const po::variables_map& values, const char* name, std::optional<int64_t>* out) {
  if (!values.count(name)) return Status::Ok();
  const std::string& text = values[name].as<std::string>();
  try {
    size_t used = 0;
    const int64_t number = std::stoll(text, &used);
    if (used == text.size()) {
      *out = number;
      return Status::Ok();
    }
  } catch (const std::exception&) {
  }
  return Status::Error(ErrorKind::kUsage, std::string("--") + name + " takes a whole number, not '" + text + "'");
}

}  // namespace

std::span<const OptionSpec> Options() { return kOptions; }
std::span<const CommandSpec> Commands() { return kCommands; }

const char* GroupTitle(CommandGroup group) {
  switch (group) {
    case CommandGroup::kMigrate:
      return "Moving the target";
    case CommandGroup::kState:
      return "Reading the state";
    case CommandGroup::kRecovery:
      return "Recovery";
    case CommandGroup::kAuthoring:
      return "Writing migrations";
    case CommandGroup::kBundles:
      return "Bundles and keys (no config needed)";
    case CommandGroup::kTools:
      return "Shell completion and manual (no config needed)";
  }
  return "";
}

Status ParseCommandLine(int argc, char** argv, Invocation* inv) {
  po::options_description all = VisibleOptions();
  all.add_options()("command", po::value(&inv->command))("argument", po::value(&inv->arguments)->multitoken());
  po::positional_options_description positional;
  positional.add("command", 1).add("argument", -1);
  po::variables_map values;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), values);
    po::notify(values);
  } catch (const po::error& failure) {
    return Status::Error(ErrorKind::kUsage, std::string(failure.what()) + " (see --help)");
  }
  Text(values, "config-file", &inv->config_file);
  Texts(values, "migrations", &inv->migrations);
  inv->up = Switch(values, "up");
  inv->down = Switch(values, "down");
  LM_RETURN_IF_ERROR(Number(values, "to", &inv->to));
  LM_RETURN_IF_ERROR(Number(values, "steps", &inv->steps));
  inv->dry_run = Switch(values, "dry-run") || Switch(values, "no-exec");
  inv->allow_out_of_order = Switch(values, "allow-out-of-order");
  inv->no_validate = Switch(values, "no-validate");
  inv->group = Switch(values, "group");
  inv->load_first = Switch(values, "load-first");
  LM_RETURN_IF_ERROR(Number(values, "lock-timeout", &inv->lock_timeout_ms));
  LM_RETURN_IF_ERROR(Number(values, "step-timeout", &inv->step_timeout_ms));
  inv->print_version = Switch(values, "version");
  inv->package_version = Switch(values, "package-version");
  Text(values, "output", &inv->output);
  inv->quiet = Switch(values, "quiet");
  inv->verbose = Switch(values, "verbose");
  inv->no_color = Switch(values, "no-color");
  inv->help = Switch(values, "help");
  Text(values, "dir", &inv->dir);
  inv->timestamp = Switch(values, "timestamp");
  Text(values, "name", &inv->bundle_name);
  Text(values, "bundle-version", &inv->bundle_version);
  Text(values, "secret-key", &inv->secret_key);
  Texts(values, "trusted-key", &inv->trusted_keys);
  if (inv->quiet && inv->verbose) return Status::Error(ErrorKind::kUsage, "choose one of --quiet and --verbose");
  return Status::Ok();
}

std::string HelpText() {
  std::ostringstream text;
  text << "Usage: link-migration -c CONFIG [COMMAND] [OPTIONS]\n"
          "\n"
          "Moves a target up or down through versioned migration plugins.\n";
  std::optional<CommandGroup> group;
  for (const CommandSpec& command : kCommands) {
    if (command.group != group) {
      group = command.group;
      text << "\n" << GroupTitle(command.group) << ":\n";
    }
    std::string usage = std::string(command.name) + (*command.arguments ? " " : "") + command.arguments;
    constexpr size_t kColumn = 22;
    if (usage.size() < kColumn) {
      text << "  " << usage << std::string(kColumn - usage.size(), ' ') << command.help << "\n";
    } else {
      text << "  " << usage << "\n  " << std::string(kColumn, ' ') << command.help << "\n";
    }
  }
  text << "\n" << VisibleOptions();
  text << "\nExit codes:\n";
  for (const ExitCodeSpec& exit : kExitCodes) text << "  " << (exit.code < 10 ? " " : "") << exit.code << "  " << exit.meaning << "\n";
  text << "\nEnvironment: NO_COLOR (set and not empty) turns colour off. More in docs/cli.md.\n";
  return text.str();
}

}  // namespace lm
