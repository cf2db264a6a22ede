#include "config.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace lm {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kKnownKeys[] = {"migrations", "store",        "plugin_path",
                                      "params",     "changelog_dir", "lock_timeout_ms",
                                      "step_timeout_ms", "trust", "transaction"};

class ConfigReader {
 public:
  ConfigReader(const fs::path& file, Config* config) : file_(file), config_(config) {}

  Status Read(const json& root) {
    if (!root.is_object()) return Fail("", "the top level must be a JSON object");
    for (const auto& [key, value] : root.items()) {
      if (!IsKnownKey(key)) return Fail(key, "unknown key" + SuggestionFor(key));
    }
    LM_RETURN_IF_ERROR(ReadPaths(root, "migrations", /*required=*/true, &config_->migration_dirs));
    LM_RETURN_IF_ERROR(ReadPaths(root, "plugin_path", /*required=*/false, &config_->plugin_path));
    LM_RETURN_IF_ERROR(ReadStore(root));
    if (root.contains("params")) {
      if (!root["params"].is_object()) return Fail("params", "must be an object");
      config_->params_json = root["params"].dump();
    }
    config_->changelog_dir = config_->dir / "changelogs";
    if (root.contains("changelog_dir")) {
      if (!root["changelog_dir"].is_string() || root["changelog_dir"].get<std::string>().empty())
        return Fail("changelog_dir", "must be a non-empty string (a folder path)");
      config_->changelog_dir = Resolve(root["changelog_dir"].get<std::string>());
    }
    if (root.contains("lock_timeout_ms")) {
      const json& timeout = root["lock_timeout_ms"];
      if (!timeout.is_number_integer())
        return Fail("lock_timeout_ms", "must be an integer number of milliseconds (-1: wait forever)");
      config_->lock_timeout_ms = timeout.get<int64_t>();
    }
    if (root.contains("step_timeout_ms")) {
      const json& timeout = root["step_timeout_ms"];
      if (!timeout.is_number_integer() || timeout.get<int64_t>() <= 0)
        return Fail("step_timeout_ms", "must be a positive integer number of milliseconds");
      config_->step_timeout_ms = timeout.get<int64_t>();
    }
    if (root.contains("transaction")) {
      const json& mode = root["transaction"];
      if (!mode.is_string() || (mode != "per-step" && mode != "group"))
        return Fail("transaction", "must be \"per-step\" (the default) or \"group\" (the whole run in one transaction)");
      config_->group_transaction = mode == "group";
    }
    return ReadTrust(root);
  }

 private:
  Status ReadTrust(const json& root) const {
    if (!root.contains("trust")) return Status::Ok();
    const json& trust = root["trust"];
    if (!trust.is_object()) return Fail("trust", "must be an object");
    for (const auto& [key, value] : trust.items()) {
      if (key == "check_permissions") {
        if (!value.is_boolean()) return Fail("trust.check_permissions", "must be true or false");
        config_->trust.check_permissions = value.get<bool>();
      } else if (key == "allowed_sha256") {
        if (!value.is_array()) return Fail("trust.allowed_sha256", "must be an array of SHA-256 hex digests");
        for (size_t i = 0; i < value.size(); ++i) {
          const std::string item_key = "trust.allowed_sha256[" + std::to_string(i) + "]";
          if (!value[i].is_string()) return Fail(item_key, "must be a string");
          std::string digest = value[i].get<std::string>();
          if (digest.rfind("sha256:", 0) == 0) digest.erase(0, 7);
          const bool hex = digest.size() == 64 && digest.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
          if (!hex) return Fail(item_key, "must be 64 hex digits (optionally after 'sha256:')");
          std::transform(digest.begin(), digest.end(), digest.begin(), [](unsigned char c) { return std::tolower(c); });
          config_->trust.allowed_sha256.insert(digest);
        }
      } else if (key == "bundles_only") {
        if (!value.is_boolean()) return Fail("trust.bundles_only", "must be true or false");
        config_->trust.bundles_only = value.get<bool>();
      } else if (key == "bundle_keys") {
        if (!value.is_array()) return Fail("trust.bundle_keys", "must be an array of ed25519 public keys (64 hex digits)");
        for (size_t i = 0; i < value.size(); ++i) {
          const std::string item_key = "trust.bundle_keys[" + std::to_string(i) + "]";
          std::string text = value[i].is_string() ? value[i].get<std::string>() : "";
          std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
          if (text.size() != 64 || text.find_first_not_of("0123456789abcdef") != std::string::npos)
            return Fail(item_key, "must be an ed25519 public key: 64 hex digits, as in a .pub file from 'keygen'");
          config_->bundles.required_keys.insert(text);
        }
      } else {
        return Fail("trust." + key,
                    "unknown key (known: check_permissions, allowed_sha256, bundles_only, bundle_keys)");
      }
    }
    return Status::Ok();
  }

  Status Fail(const std::string& key, const std::string& what) const {
    std::string where = file_.string();
    if (!key.empty()) where += ": key '" + key + "'";
    return Status::Error(ErrorKind::kConfig, where + ": " + what);
  }

  static bool IsKnownKey(const std::string& key) {
    for (const char* known : kKnownKeys)
      if (key == known) return true;
    return false;
  }

  // "migration" -> " (did you mean 'migrations'?)": a known key within two edits.
  static std::string SuggestionFor(const std::string& key) {
    for (const char* known : kKnownKeys) {
      if (EditDistance(key, known) <= 2) return std::string(" (did you mean '") + known + "'?)";
    }
    return "";
  }

  static size_t EditDistance(const std::string& a, const std::string& b) {
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

  fs::path Resolve(const std::string& text) const {
    fs::path path(text);
    return (path.is_absolute() ? path : config_->dir / path).lexically_normal();
  }

  // A string or an array of strings, each a folder path.
  Status ReadPaths(const json& root, const char* key, bool required,
                   std::vector<fs::path>* paths) const {
    if (!root.contains(key)) {
      return required ? Fail(key, "is required (a folder, or an array of folders)") : Status::Ok();
    }
    const json& value = root[key];
    std::vector<json> items = value.is_array() ? value.get<std::vector<json>>() : std::vector<json>{value};
    if (required && items.empty()) return Fail(key, "must name at least one folder");
    for (size_t i = 0; i < items.size(); ++i) {
      const std::string item_key = value.is_array() ? std::string(key) + "[" + std::to_string(i) + "]" : key;
      if (!items[i].is_string() || items[i].get<std::string>().empty())
        return Fail(item_key, "must be a non-empty string (a folder path)");
      paths->push_back(Resolve(items[i].get<std::string>()));
    }
    return Status::Ok();
  }

  Status ReadStore(const json& root) const {
    if (!root.contains("store"))
      return Fail("store", "is required, e.g. {\"plugin\": \"sqlite\", \"options\": {\"database\": \"app.db\"}}");
    const json& store = root["store"];
    if (!store.is_object()) return Fail("store", "must be an object with 'plugin' and 'options'");
    for (const auto& [key, value] : store.items()) {
      if (key != "plugin" && key != "options") return Fail("store." + key, "unknown key");
    }
    if (!store.contains("plugin") || !store["plugin"].is_string() ||
        store["plugin"].get<std::string>().empty())
      return Fail("store.plugin", "must be a non-empty string: a store name such as \"sqlite\", or a path");
    config_->store.plugin = store["plugin"].get<std::string>();
    if (store.contains("options")) {
      if (!store["options"].is_object()) return Fail("store.options", "must be an object");
      config_->store.options_json = store["options"].dump();
    }
    return Status::Ok();
  }

  const fs::path& file_;
  Config* config_;
};

}  // namespace

Status LoadConfig(const fs::path& file, Config* config) {
  std::error_code error;
  fs::path absolute = fs::absolute(file, error).lexically_normal();
  if (error || !fs::is_regular_file(absolute, error)) {
    return Status::Error(ErrorKind::kConfig,
                         file.string() + ": config file not found (give one with -c FILE)");
  }
  std::ifstream in(absolute, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) return Status::Error(ErrorKind::kConfig, absolute.string() + ": cannot read the config file");

  json root;
  try {
    root = json::parse(text.str());
  } catch (const json::parse_error& failure) {
    return Status::Error(ErrorKind::kConfig, absolute.string() + ": not valid JSON: " + failure.what());
  }
  *config = Config{};
  config->file = absolute;
  config->dir = absolute.parent_path();
  return ConfigReader(absolute, config).Read(root);
}

}  // namespace lm
