// ${NAME} expansion in the config's string values, so secrets such as a
// database password can come from the environment instead of the file.
#ifndef LINK_MIGRATION_RUNNER_ENV_EXPAND_H
#define LINK_MIGRATION_RUNNER_ENV_EXPAND_H

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace lm {

// The value of an environment variable, or nullopt when it is not set.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// getenv.
EnvLookup ProcessEnvironment();

// `text` with ${NAME} replaced by NAME's value, ${NAME:-default} by the
// value or, when NAME is unset or empty, by the literal default (the text
// up to the first '}'), and $${ by a literal ${. Any other '$' is kept.
// A NAME is letters, digits and '_', not starting with a digit.
// On failure returns nullopt with *error saying why: an unset NAME without
// a default, an unterminated ${, a bad name. Error texts name variables but
// never include a value.
std::optional<std::string> ExpandEnv(const std::string& text, const EnvLookup& lookup, std::string* error);

// ExpandEnv on every string value in `document` (object keys are left as
// they are). On failure returns false with *error_path the JSON path of the
// string at fault ("$.store.options.conninfo") and *error the reason.
bool ExpandEnvInJson(nlohmann::json* document, const EnvLookup& lookup, std::string* error_path, std::string* error);

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_ENV_EXPAND_H
