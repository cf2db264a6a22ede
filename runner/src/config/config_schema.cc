#include "config/config_schema.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <regex>
#include <vector>

#include "base/json_path.h"

namespace lm {
namespace {

using nlohmann::json;

constexpr const char* kKeywords[] = {"type",      "properties", "required",  "additionalProperties",
                                     "items",     "enum",       "minimum",   "minLength",
                                     "minItems",  "pattern",    "errorMessage"};
constexpr const char* kTypes[] = {"string", "integer", "number", "boolean", "object", "array", "null"};
constexpr const char* kAnnotations[] = {"$schema", "$id", "$comment", "title", "description", "default", "examples"};

bool Contains(const auto& list, const std::string& word) {
  return std::find(std::begin(list), std::end(list), word) != std::end(list);
}

// A nonnegative literal is parsed as unsigned; one past INT64_MAX would wrap
// when read as int64_t, so it is not an "integer" here.
bool IsInt64(const json& value) {
  if (!value.is_number_integer()) return false;
  return !value.is_number_unsigned() ||
         value.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
}

bool HasType(const json& value, const std::string& type) {
  if (type == "string") return value.is_string();
  if (type == "integer") return IsInt64(value);
  if (type == "number") return value.is_number();
  if (type == "boolean") return value.is_boolean();
  if (type == "object") return value.is_object();
  if (type == "array") return value.is_array();
  if (type == "null") return value.is_null();
  return false;
}

std::string TypeWords(const std::string& type) {
  if (type == "integer") return "an integer";
  if (type == "object") return "an object";
  if (type == "array") return "an array";
  if (type == "boolean") return "true or false";
  if (type == "null") return "null";
  return "a " + type;
}

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// Building a std::regex costs more than the rest of a config load, and the
// fuzz target loads configs in a loop: each pattern is compiled once per thread.
const std::regex& Compiled(const std::string& pattern) {
  thread_local std::map<std::string, std::regex> cache;
  auto found = cache.find(pattern);
  if (found == cache.end()) found = cache.emplace(pattern, std::regex(pattern, std::regex::ECMAScript)).first;
  return found->second;
}

class Validator {
 public:
  explicit Validator(SchemaError* error) : error_(error) {}

  bool Check(const json& schema, const json& value, const std::string& path) {
    if (!CheckValue(schema, value, path)) return false;
    if (value.is_object()) return CheckObject(schema, value, path);
    if (value.is_array() && schema.contains("items")) {
      for (size_t i = 0; i < value.size(); ++i) {
        if (!Check(schema["items"], value[i], JsonPathIndex(path, i))) return false;
      }
    }
    return true;
  }

 private:
  // The checks on the value itself, whose failures errorMessage may reword.
  bool CheckValue(const json& schema, const json& value, const std::string& path) {
    if (schema.contains("type")) {
      const json& type = schema["type"];
      std::vector<std::string> types =
          type.is_array() ? type.get<std::vector<std::string>>() : std::vector<std::string>{type.get<std::string>()};
      bool any = false;
      std::string words;
      for (size_t i = 0; i < types.size(); ++i) {
        any = any || HasType(value, types[i]);
        words += (i == 0 ? "" : i + 1 == types.size() ? " or " : ", ") + TypeWords(types[i]);
      }
      if (!any) return Fail(schema, path, "must be " + words);
    }
    if (schema.contains("enum")) {
      const json& choices = schema["enum"];
      if (std::find(choices.begin(), choices.end(), value) == choices.end()) {
        std::string words;
        for (const json& choice : choices) words += (words.empty() ? "" : ", ") + choice.dump();
        return Fail(schema, path, "must be one of " + words);
      }
    }
    if (value.is_number() && schema.contains("minimum")) {
      const json& minimum = schema["minimum"];
      const bool below = IsInt64(value) && IsInt64(minimum) ? value.get<int64_t>() < minimum.get<int64_t>()
                                                             : value.get<double>() < minimum.get<double>();
      if (below) return Fail(schema, path, "must be at least " + minimum.dump());
    }
    if (value.is_string()) {
      const std::string& text = value.get_ref<const std::string&>();
      if (schema.contains("minLength") && text.size() < schema["minLength"].get<size_t>()) {
        const size_t length = schema["minLength"].get<size_t>();
        return Fail(schema, path,
                    length == 1 ? "must not be empty" : "must be at least " + std::to_string(length) + " characters");
      }
      if (schema.contains("pattern") && !std::regex_search(text, Compiled(schema["pattern"].get<std::string>())))
        return Fail(schema, path, "must match " + schema["pattern"].get<std::string>());
    }
    if (value.is_array() && schema.contains("minItems") && value.size() < schema["minItems"].get<size_t>()) {
      const size_t count = schema["minItems"].get<size_t>();
      return Fail(schema, path, count == 1 ? "must not be empty" : "must have at least " + std::to_string(count) + " items");
    }
    return true;
  }

  bool CheckObject(const json& schema, const json& value, const std::string& path) {
    static const json kNoProperties = json::object();
    const json& properties = schema.contains("properties") ? schema["properties"] : kNoProperties;
    const json* extra = schema.contains("additionalProperties") ? &schema["additionalProperties"] : nullptr;
    // Unknown keys first: a misspelt required key is then reported as the
    // typo it is, not as a missing key.
    if (extra != nullptr && extra->is_boolean() && !extra->get<bool>()) {
      for (const auto& [key, item] : value.items()) {
        if (properties.contains(key)) continue;
        const std::string near = NearestKey(key, properties);
        std::string known;
        for (const auto& [name, unused] : properties.items()) known += (known.empty() ? "" : ", ") + name;
        return Fail(JsonPathKey(path, key), near.empty() ? "unknown key (known keys: " + known + ")"
                                                         : "unknown key (did you mean '" + near + "'?)");
      }
    }
    if (schema.contains("required")) {
      for (const json& key : schema["required"]) {
        if (!value.contains(key.get<std::string>()))
          return Fail(path, "missing required key '" + key.get<std::string>() + "'");
      }
    }
    for (const auto& [key, item] : value.items()) {
      const json* item_schema = properties.contains(key) ? &properties[key]
                                : extra != nullptr && extra->is_object() ? extra
                                                                         : nullptr;
      if (item_schema != nullptr && !Check(*item_schema, item, JsonPathKey(path, key))) return false;
    }
    return true;
  }

  bool Fail(const json& schema, const std::string& path, const std::string& generic) {
    return Fail(path, schema.contains("errorMessage") ? schema["errorMessage"].get<std::string>() : generic);
  }
  bool Fail(const std::string& path, const std::string& message) {
    *error_ = SchemaError{path, message};
    return false;
  }

  SchemaError* error_;
};

bool IsCount(const json& value) { return value.is_number_unsigned(); }

bool IsStringArray(const json& value) {
  return value.is_array() && std::all_of(value.begin(), value.end(), [](const json& item) { return item.is_string(); });
}

bool IsKnownType(const json& value) {
  return value.is_string() && Contains(kTypes, value.get<std::string>());
}

// Why `value` cannot be the value of `keyword`; empty when it can.
std::string BadKeywordValue(const std::string& keyword, const json& value) {
  if (keyword == "type") {
    const bool ok = IsKnownType(value) || (value.is_array() && !value.empty() &&
                                           std::all_of(value.begin(), value.end(), IsKnownType));
    return ok ? "" : "must be a type name or an array of them";
  }
  if (keyword == "properties") return value.is_object() ? "" : "must be an object";
  if (keyword == "required") return IsStringArray(value) ? "" : "must be an array of strings";
  if (keyword == "additionalProperties") return value.is_boolean() || value.is_object() ? "" : "must be a boolean or a schema";
  if (keyword == "items") return value.is_object() ? "" : "must be one schema";
  if (keyword == "enum") return value.is_array() ? "" : "must be an array";
  if (keyword == "minimum") return value.is_number() ? "" : "must be a number";
  if (keyword == "minLength" || keyword == "minItems") return IsCount(value) ? "" : "must be a nonnegative integer";
  if (keyword == "errorMessage") return value.is_string() ? "" : "must be a string";
  if (keyword == "pattern") {
    if (!value.is_string()) return "must be a string";
    try {
      std::regex(value.get<std::string>(), std::regex::ECMAScript);
    } catch (const std::regex_error&) {
      return "is not an ECMAScript regular expression";
    }
  }
  return "";
}

std::string KeywordProblem(const std::string& path, const std::string& keyword, const json& value) {
  if (Contains(kAnnotations, keyword)) return "";
  if (!Contains(kKeywords, keyword)) return path + ": unsupported keyword '" + keyword + "'";
  const std::string bad = BadKeywordValue(keyword, value);
  return bad.empty() ? "" : path + "/" + keyword + ": " + bad;
}

std::string ProblemAt(const json& schema, const std::string& path) {
  if (!schema.is_object()) return path + ": a schema must be an object";
  for (const auto& [keyword, value] : schema.items()) {
    std::string found = KeywordProblem(path, keyword, value);
    if (!found.empty()) return found;
  }
  if (schema.contains("properties")) {
    const std::string properties = path + "/properties/";
    for (const auto& [key, value] : schema["properties"].items()) {
      std::string found = ProblemAt(value, properties + key);
      if (!found.empty()) return found;
    }
  }
  for (const char* nested : {"items", "additionalProperties"}) {
    if (schema.contains(nested) && schema[nested].is_object()) {
      std::string found = ProblemAt(schema[nested], path + "/" + nested);
      if (!found.empty()) return found;
    }
  }
  return "";
}

}  // namespace

const json& ConfigSchema() {
  // Parsed without exceptions: a broken embedded schema is caught by a test
  // and by LoadConfig, not by a crash.
  static const json schema = json::parse(ConfigSchemaText(), nullptr, /*allow_exceptions=*/false);
  return schema;
}

std::string SchemaProblem(const json& schema) { return ProblemAt(schema, "#"); }

bool ValidateAgainstSchema(const json& schema, const json& instance, SchemaError* error) {
  return Validator(error).Check(schema, instance, kJsonRoot);
}

std::string NearestKey(const std::string& key, const json& candidates_object) {
  std::string nearest;
  size_t best = std::numeric_limits<size_t>::max();
  for (const auto& [candidate, unused] : candidates_object.items()) {
    const size_t distance = EditDistance(key, candidate);
    const size_t allowed = std::max<size_t>(2, candidate.size() / 4);
    if (distance <= allowed && distance < best) {
      best = distance;
      nearest = candidate;
    }
  }
  return nearest;
}

}  // namespace lm
