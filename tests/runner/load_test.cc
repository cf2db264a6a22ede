// Finding and loading migration plugins: every problem is a clean error
// naming the file, reported by Open before any store is touched.
#include "engine_fixture.h"

namespace lm_test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class LoadTest : public EngineTest {
 protected:
  void SetUp() override {
    AddPlugins({plugin::kLedger1});
    UseSqlite();
  }

  // Open must fail with a plugin-load error; returns its message.
  std::string OpenFails() {
    lm::Status status = Open();
    EXPECT_EQ(status.kind(), lm::ErrorKind::kPluginLoad) << status.message();
    EXPECT_FALSE(fs::exists(Database()));
    return status.message();
  }
};

TEST_F(LoadTest, DuplicateVersionNamesBothFiles) {
  AddPlugins({plugin::kLedger2, plugin::kDuplicate});
  std::string message = OpenFails();
  EXPECT_THAT(message, HasSubstr("duplicate migration version 2"));
  EXPECT_THAT(message, HasSubstr((MigrationsDir() / plugin::kLedger2.filename()).string()));
  EXPECT_THAT(message, HasSubstr((MigrationsDir() / plugin::kDuplicate.filename()).string()));
}

TEST_F(LoadTest, AbiMismatchNamesBothVersions) {
  const fs::path file = CopyPlugin(plugin::kWrongAbi, MigrationsDir());
  std::string message = OpenFails();
  EXPECT_THAT(message, HasSubstr(file.string()));
  EXPECT_THAT(message, HasSubstr("built for plugin ABI 99, this runner supports ABI 1"));
}

// The store is read on a second thread while the plugins load; a broken
// plugin is still the error reported, whatever the store's own problem.
TEST_F(LoadTest, PluginErrorWinsOverAnUnopenableStore) {
  WriteConfig({{"migrations", "migrations"}, {"store", {{"plugin", "sqlite"}, {"options", {{"database", "no/such/dir/x.db"}}}}}});
  const fs::path file = CopyPlugin(plugin::kWrongAbi, MigrationsDir());
  std::string message = OpenFails();
  EXPECT_THAT(message, HasSubstr(file.string() + ": built for plugin ABI 99"));
}

// The catalog reads a plugin's metadata without loading it; the file is
// checked again when it is loaded to run, so a change in between is caught.
TEST_F(LoadTest, AFileMadeWritableAfterTheCatalogReadIsRefusedWhenLoaded) {
  LM_ASSERT_OK(Open());
  const fs::path file = MigrationsDir() / plugin::kLedger1.filename();
  fs::permissions(file, fs::perms::others_write, fs::perm_options::add);
  reporter_ = RecordingReporter();
  const lm::Status up = engine_->Migrate(Up(), reporter_);
  EXPECT_EQ(up.kind(), lm::ErrorKind::kPluginLoad) << up.message();
  EXPECT_THAT(up.message(), HasSubstr(file.string() + " is writable by others"));
  fs::permissions(file, fs::perms::others_write, fs::perm_options::remove);
  const lm::StatusReport report = Report();
  EXPECT_TRUE(report.records.empty()) << "nothing may be recorded as applied";
  EXPECT_EQ(report.versions.size(), 1u);
}

TEST_F(LoadTest, NotALibrary) {
  const fs::path file = MigrationsDir() / "notes.so";
  WriteFile(file, "These are the release notes of version 2.4, which someone saved with the wrong name.\n");
  std::string message = OpenFails();
  EXPECT_THAT(message, HasSubstr(file.string()));
  EXPECT_THAT(message, HasSubstr("not a shared library (no ELF header)"));
}

TEST_F(LoadTest, TinyFileIsNotALibrary) {
  const fs::path file = MigrationsDir() / "tiny.so";
  WriteFile(file, "\x7f" "ELF");
  std::string message = OpenFails();
  EXPECT_THAT(message, HasSubstr(file.string() + ": not a shared library (only 4 bytes)"));
}

TEST_F(LoadTest, TruncatedCopyIsCleanError) {
  const fs::path file = CopyPlugin(plugin::kLedger2, MigrationsDir());
  const auto size = fs::file_size(file);
  fs::resize_file(file, size / 2);
  std::string message = OpenFails();
  EXPECT_THAT(message, HasSubstr(file.string() + ": truncated"));
  EXPECT_THAT(message, HasSubstr("the file has " + std::to_string(size / 2) + " bytes"));
}

TEST_F(LoadTest, TruncatedHeadersAreCleanError) {
  // Cut inside the program headers: only the ELF header survives.
  const fs::path file = CopyPlugin(plugin::kLedger2, MigrationsDir());
  fs::resize_file(file, 100);
  std::string message = OpenFails();
  EXPECT_THAT(message, HasSubstr(file.string() + ": truncated or damaged"));
}

TEST_F(LoadTest, MissingEntrySymbol) {
  const fs::path file = CopyPlugin(plugin::kNoEntry, MigrationsDir());
  std::string message = OpenFails();
  EXPECT_THAT(message, HasSubstr(file.string() + ": no entry point 'link_migration_plugin'"));
}

TEST_F(LoadTest, PluginWithoutMigrations) {
  const fs::path file = CopyPlugin(plugin::kEmpty, MigrationsDir());
  EXPECT_THAT(OpenFails(), HasSubstr(file.string() + ": exports no migrations"));
}

TEST_F(LoadTest, IgnoredNamesAreSkipped) {
  // Broken libraries under names a copy in progress or an editor leaves:
  // loading any of them would fail.
  for (const char* name : {".hidden.so", "x.so~", "x.so.tmp", "x.so.part"})
    CopyPlugin(plugin::kNoEntry, MigrationsDir(), name);
  WriteFile(MigrationsDir() / "README.txt", "not a plugin, and not named like one\n");
  LM_ASSERT_OK(Open());
  ASSERT_EQ(engine_->catalog().migrations().size(), 1u);
  EXPECT_EQ(engine_->catalog().migrations()[0].version, 1);
}

TEST_F(LoadTest, SubfoldersAreNotSearched) {
  CopyPlugin(plugin::kLedger2, MigrationsDir() / "old");
  LM_ASSERT_OK(Open());
  EXPECT_EQ(engine_->catalog().migrations().size(), 1u);
}

TEST_F(LoadTest, SeveralMigrationFolders) {
  CopyPlugin(plugin::kLedger2, dir_ / "hotfix");
  WriteConfig({{"migrations", {"migrations", "hotfix"}},
               {"store", {{"plugin", "sqlite"}, {"options", {{"database", "target.db"}}}}}});
  LM_ASSERT_OK(Run(Up()));
  EXPECT_THAT(reporter_.Started(), ElementsAre("up 1", "up 2"));
}

// Two plugins each define lm_test_helper_value(); each migration must call
// its own, whether the helper is hidden (as the SDK builds plugins) or
// exported (then only RTLD_LOCAL keeps the two apart).
TEST_F(LoadTest, SameHelperSymbolStaysPrivate) {
  AddPlugins({plugin::kHelperA, plugin::kHelperB, plugin::kExportedHelperA, plugin::kExportedHelperB});
  LM_ASSERT_OK(Run(Up()));
  EXPECT_THAT(reporter_.LinesOf(40), ElementsAre("info: helper value 1111"));
  EXPECT_THAT(reporter_.LinesOf(41), ElementsAre("info: helper value 2222"));
  EXPECT_THAT(reporter_.LinesOf(42), ElementsAre("info: helper value 1111"));
  EXPECT_THAT(reporter_.LinesOf(43), ElementsAre("info: helper value 2222"));
}

}  // namespace
}  // namespace lm_test
