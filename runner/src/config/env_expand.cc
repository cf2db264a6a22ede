#include "config/env_expand.h"

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <utility>
#include <vector>

#include "base/json_path.h"

namespace lm {
namespace {

using nlohmann::json;

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

bool IsName(const std::string& text) {
  if (text.empty() || !IsNameStart(text[0])) return false;
  for (char c : text) {
    if (!IsNameChar(c)) return false;
  }
  return true;
}

std::string UnsetMessage(const std::string& name) {
  return "environment variable " + name + " is not set (set it, or give a default: ${" + name + ":-...})";
}

}  // namespace

EnvLookup ProcessEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

std::optional<std::string> ExpandEnv(const std::string& text, const EnvLookup& lookup, std::string* error) {
  std::string out;
  size_t at = 0;
  while (at < text.size()) {
    if (text.compare(at, 3, "$${") == 0) {
      out += "${";
      at += 3;
      continue;
    }
    if (text.compare(at, 2, "${") != 0) {
      out += text[at++];
      continue;
    }
    const size_t close = text.find('}', at + 2);
    if (close == std::string::npos) {
      *error = "unterminated '${' (write '$${' for a literal '${')";
      return std::nullopt;
    }
    const std::string inside = text.substr(at + 2, close - at - 2);
    const size_t dash = inside.find(":-");
    const std::string name = inside.substr(0, dash);
    if (!IsName(name)) {
      // The text between the braces comes from the file, never from the
      // environment, so quoting it reveals nothing.
      *error = "'${" + inside + "}' is not ${NAME} or ${NAME:-default} (a NAME is letters, digits and '_')";
      return std::nullopt;
    }
    std::optional<std::string> value = lookup(name);
    if (dash != std::string::npos) {
      const std::string fallback = inside.substr(dash + 2);
      // ${A:-${B}} would end at B's '}': say so rather than expand it wrongly.
      if (fallback.find("${") != std::string::npos) {
        *error = "the default of ${" + name + "} contains '${': defaults are literal text, not expanded";
        return std::nullopt;
      }
      if (!value || value->empty()) value = fallback;
    } else if (!value) {
      *error = UnsetMessage(name);
      return std::nullopt;
    }
    out += *value;
    at = close + 1;
  }
  return out;
}

bool ExpandEnvInJson(json* document, const EnvLookup& lookup, std::string* error_path, std::string* error) {
  // An explicit stack rather than recursion: params may nest as deep as the
  // JSON parser allows.
  std::vector<std::pair<json*, std::string>> pending{{document, kJsonRoot}};
  while (!pending.empty()) {
    auto [value, path] = std::move(pending.back());
    pending.pop_back();
    if (value->is_string()) {
      std::optional<std::string> expanded = ExpandEnv(value->get_ref<const std::string&>(), lookup, error);
      if (!expanded) {
        *error_path = path;
        return false;
      }
      *value = std::move(*expanded);
      continue;
    }
    // Children go on reversed, so they come off in key order and the error
    // reported is the one the schema validator would reach first too.
    const size_t first_child = pending.size();
    if (value->is_object()) {
      for (auto& [key, item] : value->items()) pending.emplace_back(&item, JsonPathKey(path, key));
    } else if (value->is_array()) {
      for (size_t i = 0; i < value->size(); ++i) pending.emplace_back(&(*value)[i], JsonPathIndex(path, i));
    }
    std::reverse(pending.begin() + static_cast<std::ptrdiff_t>(first_child), pending.end());
  }
  return true;
}

}  // namespace lm
