// The bash completion script and the man page, made from the same command
// and option tables as --help (cli_options.h).
#ifndef LINK_MIGRATION_RUNNER_COMPLETION_H
#define LINK_MIGRATION_RUNNER_COMPLETION_H

#include <string>

namespace lm {

// Defines _link_migration and registers it for link-migration.
std::string BashCompletionScript();

// roff with the man macros, section 1.
std::string ManPage(const std::string& package_version);

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_COMPLETION_H
