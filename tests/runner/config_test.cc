// Config errors: each names the file and the key at fault, with kind
// kConfig, before any plugin or store is touched.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/config.h"
#include "engine_fixture.h"

namespace lm_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class ConfigTest : public EngineTest {
 protected:
  void SetUp() override { AddPlugins({plugin::kLedger1}); }

  // Writes `text` as conf.json; Open must fail with kConfig naming the file.
  std::string OpenFailsWith(const std::string& text) {
    WriteFile(ConfigFile(), text);
    lm::Status status = Open();
    EXPECT_EQ(status.kind(), lm::ErrorKind::kConfig) << status.message();
    EXPECT_THAT(status.message(), HasSubstr(ConfigFile().string()));
    return status.message();
  }

  static std::string SqliteStore() {
    return R"("store": {"plugin": "sqlite", "options": {"database": "target.db"}})";
  }
};

TEST_F(ConfigTest, MissingFile) {
  lm::Status status = Open();
  EXPECT_EQ(status.kind(), lm::ErrorKind::kConfig);
  EXPECT_EQ(status.message(), ConfigFile().string() + ": config file not found (give one with -c FILE)");
}

TEST_F(ConfigTest, BadJsonGivesPosition) {
  std::string message = OpenFailsWith("{\n  \"migrations\": \"migrations\",\n  \"store\": {,}\n}\n");
  EXPECT_THAT(message, HasSubstr("not valid JSON"));
  EXPECT_THAT(message, HasSubstr("line 3, column 13"));
}

// Found by the config fuzz target: once an uncaught exception.
TEST_F(ConfigTest, NumberTooLargeForADoubleIsBadJson) {
  std::string message = OpenFailsWith("{\"migrations\": \"m\", \"lock_timeout_ms\": 1e400}");
  EXPECT_THAT(message, HasSubstr("not valid JSON"));
  // Named, never quoted: no text of the config appears in its errors.
  EXPECT_THAT(message, HasSubstr("a number too large to represent"));
  EXPECT_THAT(message, Not(HasSubstr("1e400")));
}

TEST_F(ConfigTest, TopLevelMustBeObject) {
  EXPECT_THAT(OpenFailsWith("[\"migrations\"]"), HasSubstr(": $: the top level must be a JSON object"));
}

TEST_F(ConfigTest, OneLineWithFileAndPath) {
  WriteFile(ConfigFile(), R"({"migrations": "migrations", "store": {"options": {}}})");
  lm::Status status = Open();
  EXPECT_EQ(status.kind(), lm::ErrorKind::kConfig);
  EXPECT_EQ(status.exit_code(), 3);
  EXPECT_EQ(status.message(), ConfigFile().string() + ": $.store: missing required key 'plugin'");
}

TEST_F(ConfigTest, MigrationsOfWrongType) {
  EXPECT_THAT(OpenFailsWith("{\"migrations\": 5, " + SqliteStore() + "}"),
              HasSubstr(": $.migrations: must be a non-empty string (a folder path), or an array of them"));
}

TEST_F(ConfigTest, MigrationsEmpty) {
  EXPECT_THAT(OpenFailsWith("{\"migrations\": [], " + SqliteStore() + "}"),
              HasSubstr(": $.migrations: must be a non-empty string"));
  EXPECT_THAT(OpenFailsWith("{\"migrations\": \"\", " + SqliteStore() + "}"),
              HasSubstr(": $.migrations: must be a non-empty string"));
}

TEST_F(ConfigTest, MigrationsArrayItemOfWrongType) {
  EXPECT_THAT(OpenFailsWith("{\"migrations\": [\"migrations\", true], " + SqliteStore() + "}"),
              HasSubstr(": $.migrations[1]: must be a non-empty string (a folder path)"));
  EXPECT_THAT(OpenFailsWith("{\"migrations\": [\"migrations\", \"\"], " + SqliteStore() + "}"),
              HasSubstr(": $.migrations[1]: must be a non-empty string (a folder path)"));
}

TEST_F(ConfigTest, PluginPathItemOfWrongType) {
  EXPECT_THAT(OpenFailsWith("{\"migrations\": \"migrations\", \"plugin_path\": [\"a\", 2], " + SqliteStore() + "}"),
              HasSubstr(": $.plugin_path[1]: must be a non-empty string (a folder path)"));
}

TEST_F(ConfigTest, MissingMigrations) {
  EXPECT_THAT(OpenFailsWith("{" + SqliteStore() + "}"), HasSubstr(": $: missing required key 'migrations'"));
}

TEST_F(ConfigTest, ParamsOfWrongType) {
  EXPECT_THAT(OpenFailsWith("{\"migrations\": \"migrations\", " + SqliteStore() + ", \"params\": [1]}"),
              HasSubstr(": $.params: must be an object"));
}

TEST_F(ConfigTest, StoreOptionsOfWrongType) {
  EXPECT_THAT(OpenFailsWith(R"({"migrations": "migrations", "store": {"plugin": "sqlite", "options": "x"}})"),
              HasSubstr(": $.store.options: must be an object"));
}

TEST_F(ConfigTest, ChangelogDirEmpty) {
  EXPECT_THAT(OpenFailsWith("{\"migrations\": \"migrations\", " + SqliteStore() + ", \"changelog_dir\": \"\"}"),
              HasSubstr(": $.changelog_dir: must be a non-empty string (a folder path)"));
}

TEST_F(ConfigTest, LockTimeoutOfWrongType) {
  EXPECT_THAT(OpenFailsWith("{\"migrations\": \"migrations\", " + SqliteStore() + ", \"lock_timeout_ms\": \"1s\"}"),
              HasSubstr(": $.lock_timeout_ms: must be an integer number of milliseconds (-1: wait forever)"));
}

TEST_F(ConfigTest, LockTimeoutBelowMinusOne) {
  EXPECT_THAT(OpenFailsWith("{\"migrations\": \"migrations\", " + SqliteStore() + ", \"lock_timeout_ms\": -2}"),
              HasSubstr(": $.lock_timeout_ms: must be an integer number of milliseconds"));
}

TEST_F(ConfigTest, LockTimeoutTooLargeForInt64) {
  // 2^64 - 1 would read back as -1, "wait forever".
  EXPECT_THAT(OpenFailsWith("{\"migrations\": \"migrations\", " + SqliteStore() +
                            ", \"lock_timeout_ms\": 18446744073709551615}"),
              HasSubstr(": $.lock_timeout_ms: must be an integer"));
}

TEST_F(ConfigTest, StepTimeoutMustBePositive) {
  for (const char* value : {"0", "-5", "2.5", "true"}) {
    EXPECT_THAT(OpenFailsWith("{\"migrations\": \"migrations\", " + SqliteStore() + ", \"step_timeout_ms\": " +
                              value + "}"),
                HasSubstr(": $.step_timeout_ms: must be a positive integer number of milliseconds"))
        << value;
  }
}

TEST_F(ConfigTest, TransactionOutsideEnum) {
  EXPECT_THAT(OpenFailsWith("{\"migrations\": \"migrations\", " + SqliteStore() + ", \"transaction\": \"all\"}"),
              HasSubstr(": $.transaction: must be \"per-step\" (the default) or \"group\""));
}

TEST_F(ConfigTest, TrustOfWrongTypes) {
  const std::string head = "{\"migrations\": \"migrations\", " + SqliteStore() + ", \"trust\": ";
  EXPECT_THAT(OpenFailsWith(head + "[]}"), HasSubstr(": $.trust: must be an object"));
  EXPECT_THAT(OpenFailsWith(head + "{\"check_permissions\": \"no\"}}"),
              HasSubstr(": $.trust.check_permissions: must be true or false"));
  EXPECT_THAT(OpenFailsWith(head + "{\"bundles_only\": 1}}"), HasSubstr(": $.trust.bundles_only: must be true or false"));
  EXPECT_THAT(OpenFailsWith(head + "{\"allowed_sha256\": \"ab\"}}"),
              HasSubstr(": $.trust.allowed_sha256: must be an array of SHA-256 hex digests"));
}

TEST_F(ConfigTest, AllowedSha256ItemNotHex) {
  const std::string good(64, 'a');
  EXPECT_THAT(OpenFailsWith("{\"migrations\": \"migrations\", " + SqliteStore() + ", \"trust\": {\"allowed_sha256\": [\"" +
                            good + "\", \"sha256:" + good + "\", \"" + good + "0\"]}}"),
              HasSubstr(": $.trust.allowed_sha256[2]: must be 64 hex digits (optionally after 'sha256:')"));
  EXPECT_THAT(OpenFailsWith("{\"migrations\": \"migrations\", " + SqliteStore() +
                            ", \"trust\": {\"allowed_sha256\": [\"" + std::string(63, 'a') + "g\"]}}"),
              HasSubstr(": $.trust.allowed_sha256[0]: must be 64 hex digits"));
}

TEST_F(ConfigTest, BundleKeyItemNotHex) {
  EXPECT_THAT(OpenFailsWith("{\"migrations\": \"migrations\", " + SqliteStore() +
                            ", \"trust\": {\"bundle_keys\": [1]}}"),
              HasSubstr(": $.trust.bundle_keys[0]: must be an ed25519 public key: 64 hex digits"));
}

// The suggestion comes from the keys known at that level.
TEST_F(ConfigTest, UnknownKeySuggestsKnownOneAtEveryLevel) {
  EXPECT_THAT(OpenFailsWith("{\"migrationz\": \"migrations\", " + SqliteStore() + "}"),
              HasSubstr(": $.migrationz: unknown key (did you mean 'migrations'?)"));
  EXPECT_THAT(OpenFailsWith("{\"migrations\": \"migrations\", " + SqliteStore() + ", \"lock_timeout\": 5}"),
              HasSubstr(": $.lock_timeout: unknown key (did you mean 'lock_timeout_ms'?)"));
  EXPECT_THAT(OpenFailsWith(R"({"migrations": "migrations", "store": {"plugin": "sqlite", "option": {}}})"),
              HasSubstr(": $.store.option: unknown key (did you mean 'options'?)"));
  EXPECT_THAT(OpenFailsWith("{\"migrations\": \"migrations\", " + SqliteStore() +
                            ", \"trust\": {\"check_permission\": false}}"),
              HasSubstr(": $.trust.check_permission: unknown key (did you mean 'check_permissions'?)"));
  EXPECT_THAT(OpenFailsWith("{\"migrations\": \"migrations\", " + SqliteStore() + ", \"trust\": {\"bundle_key\": []}}"),
              HasSubstr(": $.trust.bundle_key: unknown key (did you mean 'bundle_keys'?)"));
}

TEST_F(ConfigTest, UnknownKeyWithoutSuggestionListsKnownOnes) {
  std::string message = OpenFailsWith("{\"migrations\": \"migrations\", " + SqliteStore() + ", \"colour\": 1}");
  EXPECT_THAT(message, HasSubstr(": $.colour: unknown key (known keys: $schema, bundles, changelog_dir, load_plugins, "
                                 "lock_timeout_ms, migrations, params, plugin_path, step_timeout_ms, store, transaction, trust)"));
  EXPECT_THAT(message, ::testing::Not(HasSubstr("did you mean")));
  EXPECT_THAT(OpenFailsWith("{\"migrations\": \"migrations\", " + SqliteStore() + ", \"trust\": {\"sign\": 1}}"),
              HasSubstr(": $.trust.sign: unknown key (known keys: allowed_sha256, bundle_keys, bundles_only, "
                        "check_permissions)"));
}

// Store options and params belong to the store and the migrations: any key goes.
TEST_F(ConfigTest, StoreOptionsAndParamsTakeAnyKey) {
  WriteFile(ConfigFile(), R"({"migrations": "migrations",
      "store": {"plugin": "sqlite", "options": {"database": "target.db", "whatever": [1]}},
      "params": {"anything": {"nested": true}}})");
  LM_ASSERT_OK(Open());
  EXPECT_EQ(json::parse(engine_->config().params_json), json::parse(R"({"anything": {"nested": true}})"));
}

TEST_F(ConfigTest, MissingStore) {
  EXPECT_THAT(OpenFailsWith(R"({"migrations": "migrations"})"), HasSubstr(": $: missing required key 'store'"));
}

TEST_F(ConfigTest, StoreOfWrongType) {
  EXPECT_THAT(OpenFailsWith(R"({"migrations": "migrations", "store": "sqlite"})"),
              HasSubstr(": $.store: must be an object with 'plugin' and 'options'"));
}

TEST_F(ConfigTest, StorePluginEmpty) {
  EXPECT_THAT(OpenFailsWith(R"({"migrations": "migrations", "store": {"plugin": ""}})"),
              HasSubstr(": $.store.plugin: must be a non-empty string"));
}

// Every key at once, read for meaning: paths resolved, digests normalised.
TEST_F(ConfigTest, EveryKeyRead) {
  const std::string digest = std::string(32, 'A') + std::string(32, 'b');
  const std::string key = std::string(64, 'C');
  WriteFile(ConfigFile(), R"({
      "$schema": "../docs/conf.schema.json",
      "migrations": ["migrations", "/opt/more"],
      "store": {"plugin": "sqlite", "options": {"database": "target.db"}},
      "plugin_path": "stores",
      "params": {"currency": "EUR"},
      "changelog_dir": "logs/changes",
      "lock_timeout_ms": -1,
      "step_timeout_ms": 600000,
      "transaction": "group",
      "trust": {"check_permissions": false, "bundles_only": true,
                "allowed_sha256": ["sha256:)" + digest + R"("], "bundle_keys": [")" + key + R"("]}})");
  lm::Config config;
  LM_ASSERT_OK(lm::LoadConfig(ConfigFile(), &config));
  EXPECT_EQ(config.migration_dirs, (std::vector<fs::path>{MigrationsDir(), "/opt/more"}));
  EXPECT_EQ(config.plugin_path, (std::vector<fs::path>{dir_ / "stores"}));
  EXPECT_EQ(config.store.plugin, "sqlite");
  EXPECT_EQ(json::parse(config.store.options_json), json::parse(R"({"database": "target.db"})"));
  EXPECT_EQ(json::parse(config.params_json), json::parse(R"({"currency": "EUR"})"));
  EXPECT_EQ(config.changelog_dir, dir_ / "logs/changes");
  EXPECT_EQ(config.lock_timeout_ms, -1);
  EXPECT_EQ(config.step_timeout_ms, 600000);
  EXPECT_TRUE(config.group_transaction);
  EXPECT_FALSE(config.trust.check_permissions);
  EXPECT_TRUE(config.trust.bundles_only);
  EXPECT_EQ(config.trust.allowed_sha256, (std::set<std::string>{std::string(32, 'a') + std::string(32, 'b')}));
  EXPECT_EQ(config.bundles.required_keys, (std::set<std::string>{std::string(64, 'c')}));
}

TEST_F(ConfigTest, DefaultsWhenKeysAreLeftOut) {
  WriteFile(ConfigFile(), "{\"migrations\": \"migrations\", \"store\": {\"plugin\": \"sqlite\"}}");
  lm::Config config;
  LM_ASSERT_OK(lm::LoadConfig(ConfigFile(), &config));
  EXPECT_EQ(config.store.options_json, "{}");
  EXPECT_EQ(config.params_json, "{}");
  EXPECT_TRUE(config.plugin_path.empty());
  EXPECT_EQ(config.changelog_dir, dir_ / "changelogs");
  EXPECT_FALSE(config.lock_timeout_ms.has_value());
  EXPECT_FALSE(config.step_timeout_ms.has_value());
  EXPECT_FALSE(config.group_transaction);
  EXPECT_TRUE(config.trust.check_permissions);
  EXPECT_FALSE(config.trust.bundles_only);
}

// The configs the engine tests write match the schema too.
TEST_F(ConfigTest, FixtureConfigsLoad) {
  UseSqlite({{"default_currency", "EUR"}});
  LM_ASSERT_OK(Open());
  UseJsonFile();
  LM_ASSERT_OK(Open());
}

// ${NAME} in the config: expanded before validation, errors name the path.
class ConfigEnvTest : public ConfigTest {
 protected:
  lm::Status Load(const std::string& text) {
    WriteFile(ConfigFile(), text);
    return lm::LoadConfig(ConfigFile(), [this](const std::string& name) -> std::optional<std::string> {
      auto found = env_.find(name);
      return found == env_.end() ? std::nullopt : std::optional<std::string>(found->second);
    }, &config_);
  }

  std::map<std::string, std::string> env_{{"PGPASSWORD", "hunter2-Xyz"}, {"APP_HOME", "/srv/app"},
                                          {"MODE", "group"}, {"EMPTY", ""}};
  lm::Config config_;
};

TEST_F(ConfigEnvTest, ExpandsInStoreOptionsParamsAndPaths) {
  LM_ASSERT_OK(Load(R"({"migrations": ["${APP_HOME}/migrations", "${EXTRA:-more}"],
      "store": {"plugin": "postgres", "options": {"conninfo": "host=db password=${PGPASSWORD}", "lock": "$${x}"}},
      "params": {"home": "${APP_HOME}", "n": [1, "${MODE}"]},
      "transaction": "${MODE}"})"));
  EXPECT_EQ(config_.migration_dirs, (std::vector<fs::path>{"/srv/app/migrations", dir_ / "more"}));
  // What the postgres store receives; it masks the password in its own messages.
  EXPECT_EQ(json::parse(config_.store.options_json),
            json::parse(R"({"conninfo": "host=db password=hunter2-Xyz", "lock": "${x}"})"));
  EXPECT_EQ(json::parse(config_.params_json), json::parse(R"({"home": "/srv/app", "n": [1, "group"]})"));
  EXPECT_TRUE(config_.group_transaction);
}

TEST_F(ConfigEnvTest, UnsetVariableNamesPathAndVariableButNoValue) {
  lm::Status status = Load(R"({"migrations": "migrations", "store": {"plugin": "postgres",
      "options": {"conninfo": "user=${APP_HOME} password=${PGPASSWORD} host=${DB_HOST}"}}})");
  EXPECT_EQ(status.kind(), lm::ErrorKind::kConfig);
  EXPECT_EQ(status.message(), ConfigFile().string() +
                                  ": $.store.options.conninfo: environment variable DB_HOST is not set "
                                  "(set it, or give a default: ${DB_HOST:-...})");
  EXPECT_THAT(status.message(), Not(HasSubstr("hunter2")));
  EXPECT_THAT(status.message(), Not(HasSubstr("/srv/app")));
}

// Validation sees the expanded value, and does not quote it back.
TEST_F(ConfigEnvTest, ExpandedValueIsValidatedWithoutBeingShown) {
  lm::Status status = Load("{\"migrations\": \"migrations\", " + SqliteStore() + ", \"transaction\": \"${PGPASSWORD}\"}");
  EXPECT_EQ(status.kind(), lm::ErrorKind::kConfig);
  EXPECT_THAT(status.message(), HasSubstr(": $.transaction: must be \"per-step\""));
  EXPECT_THAT(status.message(), Not(HasSubstr("hunter2")));
  EXPECT_THAT(Load("{\"migrations\": \"migrations\", " + SqliteStore() + ", \"changelog_dir\": \"${EMPTY}\"}").message(),
              HasSubstr(": $.changelog_dir: must be a non-empty string"));
}

TEST_F(ConfigEnvTest, MalformedReferenceNamesPath) {
  EXPECT_THAT(Load("{\"migrations\": \"migrations\", " + SqliteStore() + ", \"params\": {\"a\": [\"${APP_HOME\"]}}").message(),
              HasSubstr(": $.params.a[0]: unterminated '${'"));
}

// The engine reads the process's environment.
TEST_F(ConfigEnvTest, EngineExpandsFromTheProcessEnvironment) {
  setenv("LM_CONFIG_TEST_DB", "target.db", 1);
  WriteFile(ConfigFile(), R"({"migrations": "migrations",
      "store": {"plugin": "sqlite", "options": {"database": "${LM_CONFIG_TEST_DB}"}}})");
  LM_ASSERT_OK(Open());
  EXPECT_EQ(json::parse(engine_->config().store.options_json), json::parse(R"({"database": "target.db"})"));
  unsetenv("LM_CONFIG_TEST_DB");
  EXPECT_THAT(OpenFailsWith(R"({"migrations": "migrations",
      "store": {"plugin": "sqlite", "options": {"database": "${LM_CONFIG_TEST_DB}"}}})"),
              HasSubstr(": $.store.options.database: environment variable LM_CONFIG_TEST_DB is not set"));
}

TEST_F(ConfigTest, MissingMigrationsFolder) {
  WriteFile(ConfigFile(), "{\"migrations\": [\"migrations\", \"gone\"], " + SqliteStore() + "}");
  lm::Status status = Open();
  EXPECT_EQ(status.kind(), lm::ErrorKind::kConfig);
  EXPECT_THAT(status.message(), HasSubstr((dir_ / "gone").string() + " does not exist"));
}

TEST_F(ConfigTest, UnknownStoreNameListsFoldersSearched) {
  WriteFile(ConfigFile(), R"({"migrations": "migrations", "plugin_path": "stores", "store": {"plugin": "nosuch"}})");
  LM_ASSERT_OK(Open());
  lm::Status status = engine_->Migrate(Up(), reporter_);
  EXPECT_EQ(status.kind(), lm::ErrorKind::kConfig);
  EXPECT_THAT(status.message(), HasSubstr(ConfigFile().string() + ": $.store.plugin: no store named 'nosuch'"));
  EXPECT_THAT(status.message(), HasSubstr("looked for nosuch.so in " + (dir_ / "stores").string() + ", " +
                                          kStoreDir.lexically_normal().string()));
  EXPECT_TRUE(reporter_.steps.empty());
}

TEST_F(ConfigTest, StorePluginPathThatDoesNotExist) {
  WriteFile(ConfigFile(), R"({"migrations": "migrations", "store": {"plugin": "stores/mine.so"}})");
  LM_ASSERT_OK(Open());
  lm::StatusReport report;
  lm::Status status = engine_->GetStatus(&report);
  EXPECT_EQ(status.kind(), lm::ErrorKind::kConfig);
  EXPECT_THAT(status.message(), HasSubstr("no store plugin at " + (dir_ / "stores/mine.so").string()));
}

TEST_F(ConfigTest, RelativePathsResolveAgainstConfigFolder) {
  WriteFile(ConfigFile(), "{\"migrations\": \"./migrations/../migrations\", " + SqliteStore() + "}");
  LM_ASSERT_OK(Open());
  ASSERT_EQ(engine_->config().migration_dirs.size(), 1u);
  EXPECT_EQ(engine_->config().migration_dirs[0], MigrationsDir());
  EXPECT_EQ(engine_->config().changelog_dir, dir_ / "changelogs");
}

}  // namespace
}  // namespace lm_test
