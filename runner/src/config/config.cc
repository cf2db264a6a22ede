#include "config/config.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/json_parse.h"
#include "base/json_path.h"
#include "config/config_schema.h"

namespace lm {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string Lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

// Turns a document that already matches docs/conf.schema.json into a
// Config: types and shapes are the schema's job, meaning (paths resolved
// against the config's folder, digests normalised) is this one's.
class ConfigReader {
 public:
  explicit ConfigReader(Config* config) : config_(config) {}

  void Read(const json& root) {
    config_->migration_dirs = Paths(root["migrations"]);
    config_->migration_dir_paths = JsonPaths("migrations", root["migrations"]);
    if (root.contains("plugin_path")) config_->plugin_path = Paths(root["plugin_path"]);
    const json& store = root["store"];
    config_->store.plugin = store["plugin"].get<std::string>();
    if (store.contains("options")) config_->store.options_json = store["options"].dump();
    if (root.contains("params")) config_->params_json = root["params"].dump();
    config_->changelog_dir = Resolve(root.value("changelog_dir", "changelogs"));
    if (root.contains("lock_timeout_ms")) config_->lock_timeout_ms = root["lock_timeout_ms"].get<int64_t>();
    if (root.contains("step_timeout_ms")) config_->step_timeout_ms = root["step_timeout_ms"].get<int64_t>();
    config_->group_transaction = root.value("transaction", "per-step") == "group";
    if (root.contains("load_plugins"))
      config_->notes.push_back(config_->file.string() +
                               ": \"load_plugins\" is no longer needed: every plugin is loaded and checked before "
                               "the first step");
    if (root.contains("trust")) ReadTrust(root["trust"]);
    if (root.contains("bundles")) ReadBundleLimits(root["bundles"]);
  }

 private:
  void ReadTrust(const json& trust) {
    config_->trust.check_permissions = trust.value("check_permissions", config_->trust.check_permissions);
    config_->trust.bundles_only = trust.value("bundles_only", config_->trust.bundles_only);
    for (const json& item : trust.value("allowed_sha256", json::array())) {
      std::string digest = Lowercase(item.get<std::string>());
      if (digest.rfind("sha256:", 0) == 0) digest.erase(0, 7);
      config_->trust.allowed_sha256.insert(digest);
    }
    for (const json& item : trust.value("bundle_keys", json::array()))
      config_->bundles.required_keys.insert(Lowercase(item.get<std::string>()));
  }

  void ReadBundleLimits(const json& bundles) {
    BundleLimits& limits = config_->bundles.limits;
    limits.max_bytes = bundles.value("max_bytes", limits.max_bytes);
    limits.max_members = bundles.value("max_members", limits.max_members);
  }

  fs::path Resolve(const std::string& text) const {
    fs::path path(text);
    return (path.is_absolute() ? path : config_->dir / path).lexically_normal();
  }

  // A string or an array of strings, each a folder or file path.
  std::vector<fs::path> Paths(const json& value) const {
    std::vector<fs::path> paths;
    if (value.is_string()) {
      paths.push_back(Resolve(value.get<std::string>()));
    } else {
      for (const json& item : value) paths.push_back(Resolve(item.get<std::string>()));
    }
    return paths;
  }

  // Where each of Paths(value) came from: "$.migrations", or
  // "$.migrations[0]", "$.migrations[1]", ... for an array.
  static std::vector<std::string> JsonPaths(const std::string& key, const json& value) {
    const std::string path = JsonPathKey(kJsonRoot, key);
    if (!value.is_array()) return {path};
    std::vector<std::string> paths;
    for (size_t i = 0; i < value.size(); ++i) paths.push_back(JsonPathIndex(path, i));
    return paths;
  }

  Config* config_;
};

}  // namespace

Status LoadConfig(const fs::path& file, Config* config) { return LoadConfig(file, ProcessEnvironment(), config); }

Status LoadConfig(const fs::path& file, const EnvLookup& env, Config* config) {
  std::error_code error;
  fs::path absolute = fs::absolute(file, error).lexically_normal();
  if (!error && fs::is_directory(absolute, error)) {
    return Status::Error(ErrorKind::kConfig,
                         file.string() + ": is a folder, not a config file (give the config file with -c FILE)");
  }
  if (error || !fs::is_regular_file(absolute, error)) {
    return Status::Error(ErrorKind::kConfig,
                         file.string() + ": config file not found (give one with -c FILE)");
  }
  std::ifstream in(absolute, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) return Status::Error(ErrorKind::kConfig, absolute.string() + ": cannot read the config file");
  const std::string where = absolute.string() + ": ";

  json root;
  JsonParseError invalid;
  if (!ParseJson(text.str(), &root, &invalid)) return Status::Error(ErrorKind::kConfig, where + Describe(invalid));
  // Expansion first, so the schema checks the values the runner will use.
  std::string path, why;
  if (!ExpandEnvInJson(&root, env, &path, &why)) return Status::Error(ErrorKind::kConfig, where + path + ": " + why);

  // The built-in schema is checked by the tests (config_schema_test.cc),
  // not at every start: checking it compiles its regular expressions, which
  // cost more than the rest of loading a config.
  const json& schema = ConfigSchema();
  SchemaError mismatch;
  if (!ValidateAgainstSchema(schema, root, &mismatch))
    return Status::Error(ErrorKind::kConfig, where + mismatch.path + ": " + mismatch.message);

  *config = Config{};
  config->file = absolute;
  config->dir = absolute.parent_path();
  try {
    ConfigReader(config).Read(root);
  } catch (const json::exception& failure) {
    // Only if the reader expects more than the schema promises: a bug, but
    // still a config error with the file named rather than a crash.
    return Status::Error(ErrorKind::kConfig, where + "does not match what the runner reads: " + failure.what());
  }
  return Status::Ok();
}

Status CheckMigrationLocations(const Config& config) {
  for (size_t i = 0; i < config.migration_dirs.size() && i < config.migration_dir_paths.size(); ++i) {
    std::error_code error;
    if (!fs::exists(config.migration_dirs[i], error))
      return Status::Error(ErrorKind::kConfig, config.file.string() + ": " + config.migration_dir_paths[i] + ": " +
                                                   config.migration_dirs[i].string() +
                                                   " does not exist (give a folder or a bundle)");
  }
  return Status::Ok();
}

}  // namespace lm
