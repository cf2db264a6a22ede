// Config errors: each names the file and the key at fault, with kind
// kConfig, before any plugin or store is touched.
#include "engine_fixture.h"

namespace lm_test {
namespace {

using ::testing::HasSubstr;

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

TEST_F(ConfigTest, TopLevelMustBeObject) {
  EXPECT_THAT(OpenFailsWith("[\"migrations\"]"), HasSubstr("the top level must be a JSON object"));
}

TEST_F(ConfigTest, MigrationsOfWrongType) {
  EXPECT_THAT(OpenFailsWith("{\"migrations\": 5, " + SqliteStore() + "}"),
              HasSubstr("key 'migrations': must be a non-empty string (a folder path)"));
}

TEST_F(ConfigTest, MigrationsArrayItemOfWrongType) {
  EXPECT_THAT(OpenFailsWith("{\"migrations\": [\"migrations\", true], " + SqliteStore() + "}"),
              HasSubstr("key 'migrations[1]': must be a non-empty string"));
}

TEST_F(ConfigTest, MissingMigrations) {
  EXPECT_THAT(OpenFailsWith("{" + SqliteStore() + "}"), HasSubstr("key 'migrations': is required"));
}

TEST_F(ConfigTest, ParamsOfWrongType) {
  EXPECT_THAT(OpenFailsWith("{\"migrations\": \"migrations\", " + SqliteStore() + ", \"params\": [1]}"),
              HasSubstr("key 'params': must be an object"));
}

TEST_F(ConfigTest, LockTimeoutOfWrongType) {
  EXPECT_THAT(OpenFailsWith("{\"migrations\": \"migrations\", " + SqliteStore() + ", \"lock_timeout_ms\": \"1s\"}"),
              HasSubstr("key 'lock_timeout_ms': must be an integer"));
}

TEST_F(ConfigTest, UnknownKeySuggestsKnownOne) {
  EXPECT_THAT(OpenFailsWith("{\"migration\": \"migrations\", " + SqliteStore() + "}"),
              HasSubstr("key 'migration': unknown key (did you mean 'migrations'?)"));
}

TEST_F(ConfigTest, UnknownKeyWithoutSuggestion) {
  std::string message = OpenFailsWith("{\"migrations\": \"migrations\", " + SqliteStore() + ", \"colour\": 1}");
  EXPECT_THAT(message, HasSubstr("key 'colour': unknown key"));
  EXPECT_THAT(message, ::testing::Not(HasSubstr("did you mean")));
}

TEST_F(ConfigTest, UnknownStoreKey) {
  EXPECT_THAT(OpenFailsWith(R"({"migrations": "migrations", "store": {"plugin": "sqlite", "option": {}}})"),
              HasSubstr("key 'store.option': unknown key"));
}

TEST_F(ConfigTest, MissingStore) {
  EXPECT_THAT(OpenFailsWith(R"({"migrations": "migrations"})"), HasSubstr("key 'store': is required"));
}

TEST_F(ConfigTest, StoreWithoutPlugin) {
  EXPECT_THAT(OpenFailsWith(R"({"migrations": "migrations", "store": {"options": {}}})"),
              HasSubstr("key 'store.plugin': must be a non-empty string"));
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
  EXPECT_THAT(status.message(), HasSubstr(ConfigFile().string() + ": key 'store.plugin': no store named 'nosuch'"));
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
