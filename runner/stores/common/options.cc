#include "common/options.h"

#include <filesystem>

#include "base/json_parse.h"

namespace lm::stores {

Status Options::Parse(std::string_view store, const char* json, std::initializer_list<std::string_view> known_keys,
                      Options* out) {
  out->store_ = std::string(store);
  const std::string_view text = (json == nullptr || *json == '\0') ? "{}" : json;
  nlohmann::json parsed;
  JsonParseError invalid;
  if (!ParseJson(text, &parsed, &invalid)) {
    return Status::OptionError("", out->store_ + " store options: " + Describe(invalid));
  }
  if (!parsed.is_object()) {
    return Status::OptionError("", out->store_ + " store options must be a JSON object, got " + parsed.type_name());
  }
  for (const auto& item : parsed.items()) {
    bool known = false;
    std::string names;
    for (std::string_view key : known_keys) {
      if (item.key() == key) known = true;
      if (!names.empty()) names += ", ";
      names += key;
    }
    if (!known) {
      return Status::OptionError(item.key(), out->store_ + " store option \"" + item.key() +
                                                 "\" is unknown (known options: " + names + ")");
    }
  }
  out->object_ = std::move(parsed);
  return Status::Ok();
}

Status Options::RequiredString(std::string_view key, std::string* value) const {
  auto it = object_.find(std::string(key));
  if (it == object_.end()) {
    return Error(key, "is missing");
  }
  if (!it->is_string()) return WrongType(key, "a string");
  *value = it->get<std::string>();
  if (value->empty()) {
    return Error(key, "is empty");
  }
  return Status::Ok();
}

Status Options::OptionalString(std::string_view key, std::string_view fallback, std::string* value) const {
  auto it = object_.find(std::string(key));
  if (it == object_.end()) {
    *value = std::string(fallback);
    return Status::Ok();
  }
  if (!it->is_string()) return WrongType(key, "a string");
  *value = it->get<std::string>();
  return Status::Ok();
}

Status Options::RequiredPath(std::string_view key, const char* config_dir, std::string* path) const {
  std::string value;
  LM_STORES_RETURN_IF_ERROR(RequiredString(key, &value));
  std::filesystem::path resolved(value);
  if (resolved.is_relative()) {
    std::filesystem::path base = (config_dir == nullptr || *config_dir == '\0') ? std::filesystem::current_path()
                                                                                : std::filesystem::path(config_dir);
    resolved = std::filesystem::absolute(base / resolved);
  }
  *path = resolved.lexically_normal().string();
  return Status::Ok();
}

Status Options::WrongType(std::string_view key, std::string_view expected) const {
  // The type only, never the value: it may have come from a secret in the
  // environment.
  return Error(key, "must be " + std::string(expected) + ", got " + object_.at(std::string(key)).type_name());
}

Status Options::Error(std::string_view key, const std::string& problem) const {
  return Status::OptionError(std::string(key), store_ + " store option \"" + std::string(key) + "\" " + problem);
}

}  // namespace lm::stores
