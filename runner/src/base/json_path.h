// JSONPath-style names for places in a JSON document ($.store.options,
// $.migrations[1]), so config errors point at the exact value at fault.
#ifndef LINK_MIGRATION_RUNNER_JSON_PATH_H
#define LINK_MIGRATION_RUNNER_JSON_PATH_H

#include <cstddef>
#include <string>

namespace lm {

inline constexpr char kJsonRoot[] = "$";

// `parent`.key, or `parent`['key'] when the key is not a plain name, so a
// key with dots or spaces cannot be mistaken for a nested one.
inline std::string JsonPathKey(const std::string& parent, const std::string& key) {
  bool plain = !key.empty();
  for (char c : key) {
    const bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                      c == '-' || c == '$';
    plain = plain && word;
  }
  if (plain) return parent + "." + key;
  std::string quoted;
  for (char c : key) {
    if (c == '\'' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return parent + "['" + quoted + "']";
}

inline std::string JsonPathIndex(const std::string& parent, size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_JSON_PATH_H
