// The one way the runner and the shipped stores read a JSON document they
// were handed (the config, the json-file store's file, a bundle manifest):
// strict, bounded and quiet. A duplicate key is an error rather than "the
// last one wins"; nesting is limited before anything recurses over the
// document; and an error never quotes the text, which may hold a password.
#ifndef LINK_MIGRATION_RUNNER_JSON_PARSE_H
#define LINK_MIGRATION_RUNNER_JSON_PARSE_H

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace lm {

// Arrays and objects nest at most this deep, the outermost counting as one
// (docs/config.md). Far below where recursion over a document (dump, copy,
// compare) could exhaust the stack, far above what any config needs.
inline constexpr size_t kMaxJsonDepth = 64;

struct JsonParseError {
  // The JSONPath of the value at fault ("$.store.options.database") for a
  // duplicate key or nesting too deep; empty for text that is not JSON.
  std::string path;
  // One line, never quoting the document: "duplicate key",
  // "nested deeper than 64 levels", or "not valid JSON at line 3, column 14:
  // syntax error while parsing object - unexpected ','; expected string literal".
  std::string message;
};

// Parses `text` as one JSON value into *out. On failure returns false,
// fills *error and leaves *out unspecified. Never throws but for bad_alloc.
bool ParseJson(std::string_view text, nlohmann::json* out, JsonParseError* error);

// "$.a.b: duplicate key", or the message alone when there is no path.
std::string Describe(const JsonParseError& error);

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_JSON_PARSE_H
