// Reading a store's "options" object (lm_store_open_args.options_json) with
// messages that name the store and the key at fault, so a typo in the config
// file is found from the message alone. Every error is an OptionError
// (LM_ERR_OPTION) carrying that key, which the runner turns into the JSONPath
// in the config ($.store.options.database).
#ifndef LINK_MIGRATION_STORES_COMMON_OPTIONS_H
#define LINK_MIGRATION_STORES_COMMON_OPTIONS_H

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/status.h"

namespace lm::stores {

// NOLINTNEXTLINE(bugprone-exception-escape): clang-tidy 14 misreads nlohmann::json's noexcept move.
class Options {
 public:
  // Parses `json` (NULL or empty means "{}"), which must be a JSON object
  // whose keys are all in `known_keys`. `store` is the store's name, used in
  // messages: `sqlite store option "database" is missing`.
  static Status Parse(std::string_view store, const char* json, std::initializer_list<std::string_view> known_keys,
                      Options* out);

  // A string option that must be present and non-empty.
  Status RequiredString(std::string_view key, std::string* value) const;
  // A string option that may be absent, in which case *value = fallback.
  Status OptionalString(std::string_view key, std::string_view fallback, std::string* value) const;
  // A required string option naming a file. A relative path resolves against
  // `config_dir` (the folder of the config file; NULL or empty means the
  // current directory). *path is absolute and lexically normalised.
  Status RequiredPath(std::string_view key, const char* config_dir, std::string* path) const;

 private:
  Status WrongType(std::string_view key, std::string_view expected) const;
  // `<store> store option "<key>" <problem>`, naming `key` for the runner.
  Status Error(std::string_view key, const std::string& problem) const;

  std::string store_;
  nlohmann::json object_;
};

}  // namespace lm::stores

#endif  // LINK_MIGRATION_STORES_COMMON_OPTIONS_H
