// The engine against each kind of version store: the json-file store (no
// transactions), the seed's minimal two-function contract (plugins_example's
// version-file store), and broken stores.
#include "engine_fixture.h"

namespace lm_test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class StoreTest : public EngineTest {
 protected:
  void SetUp() override { AddPlugins({plugin::kLedger1, plugin::kLedger2, plugin::kLedger3, plugin::kLedger4}); }

  // plugins_example's version-file store, copied to stores/ and found by name.
  void UseVersionFile(json params = json::object()) {
    CopyPlugin(kVersionFileStore, dir_ / "stores");
    params["ledger_db"] = (dir_ / "ledger.db").string();
    WriteConfig({{"migrations", "migrations"},
                 {"plugin_path", {"stores"}},
                 {"store", {{"plugin", "version-file"}, {"options", {{"path", "current_version.txt"}}}}},
                 {"params", params}});
  }
};

TEST_F(StoreTest, JsonFileUpAndDown) {
  UseJsonFile();
  LM_ASSERT_OK(Run(Up()));
  EXPECT_EQ(reporter_.store_name, "json-file");
  EXPECT_EQ(JsonFileLedger(), (std::set<int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(Applied(), (std::set<int64_t>{1, 2, 3, 4}));
  EXPECT_THAT(ReadFile(JsonStoreFile()), HasSubstr("ledger_4"));
  LM_ASSERT_OK(Run(To(2)));
  EXPECT_THAT(reporter_.Started(), ElementsAre("down 4", "down 3"));
  EXPECT_EQ(Applied(), (std::set<int64_t>{1, 2}));
}

TEST_F(StoreTest, JsonFileDryRunCreatesNoFile) {
  UseJsonFile();
  const std::set<std::string> before = ListFiles(dir_.path());
  LM_ASSERT_OK(Run(DryRun(Up())));
  EXPECT_THAT(reporter_.planned, ElementsAre("up 1", "up 2", "up 3", "up 4"));
  EXPECT_FALSE(fs::exists(JsonStoreFile()));
  EXPECT_EQ(ListFiles(dir_.path()), before);
}

TEST_F(StoreTest, JsonFileStatusCreatesNoFile) {
  UseJsonFile();
  EXPECT_EQ(Report().versions.size(), 4u);
  EXPECT_FALSE(fs::exists(JsonStoreFile()));
}

TEST_F(StoreTest, CorruptJsonFileIsStoreErrorAndLeftAlone) {
  UseJsonFile();
  const std::string broken = "{\"format\": \"link-migration-versions\", \"records\": [\n";
  WriteFile(JsonStoreFile(), broken);
  lm::Status status = Run(Up());
  EXPECT_EQ(status.kind(), lm::ErrorKind::kStore);
  EXPECT_THAT(status.message(), HasSubstr(JsonStoreFile().string() + ": not valid JSON"));
  EXPECT_THAT(reporter_.steps, IsEmpty());
  EXPECT_EQ(ReadFile(JsonStoreFile()), broken);
  EXPECT_THAT(JsonFileLedger(), IsEmpty());

  lm::StatusReport report;
  LM_ASSERT_OK(Open());
  status = engine_->GetStatus(&report);
  EXPECT_EQ(status.kind(), lm::ErrorKind::kStore);
  EXPECT_THAT(status.message(), HasSubstr(JsonStoreFile().string()));
  EXPECT_EQ(ReadFile(JsonStoreFile()), broken);
}

TEST_F(StoreTest, JsonFileWithBadRecordIsStoreError) {
  UseJsonFile();
  LM_ASSERT_OK(Run(Up(1)));
  std::string text = ReadFile(JsonStoreFile());
  const size_t state = text.find("\"applied\"");
  ASSERT_NE(state, std::string::npos) << text;
  text.replace(state, 9, "\"finished\"");
  WriteFile(JsonStoreFile(), text);
  lm::Status status = Run(Up());
  EXPECT_EQ(status.kind(), lm::ErrorKind::kStore);
  EXPECT_THAT(status.message(), HasSubstr(JsonStoreFile().string()));
  EXPECT_THAT(status.message(), HasSubstr("state"));
  EXPECT_EQ(ReadFile(JsonStoreFile()), text);
}

TEST_F(StoreTest, SqliteStoreOnNonDatabaseFileIsStoreError) {
  UseSqlite();
  WriteFile(Database(), std::string(4096, 'x'));
  lm::Status status = Run(Up());
  EXPECT_EQ(status.kind(), lm::ErrorKind::kStore);
  EXPECT_THAT(status.message(), HasSubstr(Database().string()));
  EXPECT_EQ(ReadFile(Database()), std::string(4096, 'x'));
}

TEST_F(StoreTest, VersionFileUpDownAndStatus) {
  UseVersionFile();
  LM_ASSERT_OK(Run(Up()));
  EXPECT_EQ(reporter_.store_name, "version-file");
  EXPECT_THAT(reporter_.Started(), ElementsAre("up 1", "up 2", "up 3", "up 4"));
  EXPECT_EQ(ReadFile(dir_ / "current_version.txt"), "4\n");
  EXPECT_EQ(JsonFileLedger(), (std::set<int64_t>{1, 2, 3, 4}));

  LM_ASSERT_OK(Run(Down(1)));
  EXPECT_THAT(reporter_.Started(), ElementsAre("down 4"));
  EXPECT_EQ(ReadFile(dir_ / "current_version.txt"), "3\n");
  LM_ASSERT_OK(Run(To(1)));
  EXPECT_THAT(reporter_.Started(), ElementsAre("down 3", "down 2"));
  EXPECT_EQ(ReadFile(dir_ / "current_version.txt"), "1\n");
  EXPECT_EQ(JsonFileLedger(), (std::set<int64_t>{1}));

  lm::StatusReport report = Report();
  EXPECT_EQ(report.store_name, "version-file");
  EXPECT_EQ(report.current_version, 1);
  ASSERT_EQ(report.versions.size(), 4u);
  EXPECT_NE(report.versions[0].record, nullptr);
  EXPECT_EQ(report.versions[1].record, nullptr);
}

TEST_F(StoreTest, VersionFileWarnsOnceAboutMissingHistory) {
  UseVersionFile();
  LM_ASSERT_OK(Run(Up()));
  ASSERT_EQ(reporter_.warnings.size(), 1u);
  EXPECT_THAT(reporter_.warnings[0],
              HasSubstr("store 'version-file' keeps only the current version: no history, checksums or locking"));
  lm::StatusReport report = Report();
  ASSERT_EQ(report.warnings.size(), 1u);
  EXPECT_EQ(report.warnings[0], reporter_.warnings[0]);
}

TEST_F(StoreTest, VersionFileDryRunCreatesNothing) {
  UseVersionFile();
  const std::set<std::string> before = ListFiles(dir_.path());
  LM_ASSERT_OK(Run(DryRun(Up())));
  EXPECT_THAT(reporter_.planned, ElementsAre("up 1", "up 2", "up 3", "up 4"));
  EXPECT_EQ(ListFiles(dir_.path()), before);
}

TEST_F(StoreTest, VersionFileCorruptIsStoreError) {
  UseVersionFile();
  WriteFile(dir_ / "current_version.txt", "four\n");
  lm::Status status = Run(Up());
  EXPECT_EQ(status.kind(), lm::ErrorKind::kStore);
  EXPECT_THAT(status.message(), HasSubstr((dir_ / "current_version.txt").string() + " does not hold a version number"));
  EXPECT_EQ(ReadFile(dir_ / "current_version.txt"), "four\n");
}

TEST_F(StoreTest, VersionFileFailedStepKeepsVersion) {
  AddPlugins({plugin::kParamFail});
  UseVersionFile({{"fail_32", true}});
  EXPECT_EQ(Run(Up()).kind(), lm::ErrorKind::kMigrationFailed);
  EXPECT_EQ(ReadFile(dir_ / "current_version.txt"), "4\n");
}

}  // namespace
}  // namespace lm_test
