// The struct_size promise of docs/abi.md, held against plugins built as an
// older or a newer SDK builds them: plain-C fixtures whose descriptors are
// written out by hand (tests/plugins/abi_first_release.h, abi_shapes_*.c),
// so that they stay as they are when the SDK's own structs grow. Older
// sizes load and run, with what they lack read as absent; newer sizes load
// with what they add unread (it points at abort()); a size below the
// smallest the runner accepts is one error line naming the file and the
// size, and nothing runs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cli_fixture.h"

namespace lm_test {
namespace {

using ::testing::HasSubstr;

class AbiShapesTest : public CliTest {
 protected:
  // conf.json naming `store` by its path, with no options.
  void UseStore(const fs::path& store) {
    WriteConfig({{"migrations", "migrations"}, {"store", {{"plugin", store.string()}}}});
  }
  // The file the fixture store keeps beside the config.
  fs::path StoreFile() const { return dir_ / "abi_shapes_store.txt"; }

  json RunJson(const std::vector<std::string>& command) {
    std::vector<std::string> args = command;
    args.insert(args.end(), {"-o", "json"});
    const CliResult result = Run(args);
    EXPECT_EQ(result.exit_code, 0) << result;
    return json::parse(result.out, nullptr, /*allow_exceptions=*/false);
  }

  // version -> state, as `status` lists them.
  std::map<int64_t, std::string> States() {
    std::map<int64_t, std::string> states;
    const json status = RunJson({"status"});
    for (const json& version : status["versions"])
      states[version["version"].get<int64_t>()] = version["state"].get<std::string>();
    return states;
  }

  // Applies 60 and 61 (older descriptors) through the store, reverts 61,
  // and returns the history's events.
  json ApplyAndRevertThrough(const fs::path& store) {
    UseStore(store);
    AddPlugins({plugin::kAbiOlder});
    LM_EXPECT_OK(Run({"up"}));
    EXPECT_EQ(States(), (std::map<int64_t, std::string>{{60, "applied"}, {61, "applied"}}));
    LM_EXPECT_OK(Run({"down", "--steps", "1"}));
    EXPECT_EQ(States(), (std::map<int64_t, std::string>{{60, "applied"}, {61, "pending"}}));
    return RunJson({"history"})["events"];
  }
};

std::vector<int64_t> Versions(const json& events) {
  std::vector<int64_t> versions;
  for (const json& event : events) versions.push_back(event["version"].get<int64_t>());
  return versions;
}

TEST_F(AbiShapesTest, OlderMigrationDescriptorsLoadAndRun) {
  UseSqlite();
  AddPlugins({plugin::kAbiOlder});
  const CliResult up = Run({"up"});
  LM_EXPECT_OK(up);
  EXPECT_THAT(up.out, HasSubstr("60 ran from a descriptor of the smallest size")) << up;
  EXPECT_THAT(up.out, HasSubstr("61 ran from a first-release descriptor, user_data intact")) << up;
  EXPECT_EQ(States(), (std::map<int64_t, std::string>{{60, "applied"}, {61, "applied"}}));

  const CliResult down = Run({"down", "--steps", "1"});
  LM_EXPECT_OK(down);
  EXPECT_THAT(down.out, HasSubstr("61 reverted")) << down;
  EXPECT_EQ(States(), (std::map<int64_t, std::string>{{60, "applied"}, {61, "pending"}}));
}

TEST_F(AbiShapesTest, NewerMigrationDescriptorsLoadWithTheirExtraFieldsUnread) {
  UseSqlite();
  AddPlugins({plugin::kAbiNewer});
  const CliResult up = Run({"up"});
  LM_EXPECT_OK(up);
  EXPECT_THAT(up.out, HasSubstr("62 ran from a descriptor larger than the runner's")) << up;
  EXPECT_EQ(States(), (std::map<int64_t, std::string>{{62, "applied"}}));
}

TEST_F(AbiShapesTest, PluginDescriptorBelowTheSmallestIsRefused) {
  UseSqlite();
  const fs::path file = CopyPlugin(plugin::kAbiShortPlugin, MigrationsDir());
  LM_EXPECT_ERROR(Run({"up"}), 4, file.string() + ": the plugin descriptor is too small (16 bytes): damaged plugin");
  EXPECT_FALSE(fs::exists(Database()));
}

TEST_F(AbiShapesTest, MigrationDescriptorBelowTheSmallestIsRefused) {
  UseSqlite();
  const fs::path file = CopyPlugin(plugin::kAbiShortMigration, MigrationsDir());
  LM_EXPECT_ERROR(Run({"up"}), 4,
                  file.string() + ": a migration descriptor is too small (64 bytes): damaged plugin");
  EXPECT_FALSE(fs::exists(Database()));
}

// A store of the first release whose records and events end with their
// version: everything after it reads as absent.
TEST_F(AbiShapesTest, StoreWithTheSmallestRecordsAndEvents) {
  const json events = ApplyAndRevertThrough(plugin::kAbiStoreSmallest);
  EXPECT_EQ(Versions(events), (std::vector<int64_t>{60, 61, 61}));
  for (const json& event : events) EXPECT_EQ(event["kind"], "") << event;
  const json applied = RunJson({"status"})["versions"][0];
  EXPECT_EQ(applied["version"], 60);
  EXPECT_EQ(applied["name"], "smallest_60");  // the plugin's name, the record having none
  EXPECT_EQ(applied["applied_at"], "");
  EXPECT_EQ(applied["checksum"], "");
}

TEST_F(AbiShapesTest, StoreOfTheFirstRelease) {
  const json events = ApplyAndRevertThrough(plugin::kAbiStoreFirst);
  EXPECT_EQ(Versions(events), (std::vector<int64_t>{60, 61, 61}));
  EXPECT_EQ(events[2]["kind"], "revert");
  EXPECT_EQ(events[2]["name"], "first_release_61");
  EXPECT_THAT(RunJson({"status"})["versions"][0]["applied_at"].get<std::string>(), ::testing::MatchesRegex("20..-.*Z"));
}

// The release that appended lm_store_api.in_transaction, without transactions.
TEST_F(AbiShapesTest, StoreOfTheReleaseWithInTransaction) {
  const json events = ApplyAndRevertThrough(plugin::kAbiStoreNext);
  EXPECT_EQ(Versions(events), (std::vector<int64_t>{60, 61, 61}));
  EXPECT_EQ(events[1]["kind"], "apply");
}

TEST_F(AbiShapesTest, StoreOfANewerSdkWithItsExtraFieldsUnread) {
  const json events = ApplyAndRevertThrough(plugin::kAbiStoreNewer);
  EXPECT_EQ(Versions(events), (std::vector<int64_t>{60, 61, 61}));
  EXPECT_EQ(events[0]["kind"], "apply");
  EXPECT_EQ(RunJson({"status"})["versions"][0]["name"], "smallest_60");
}

TEST_F(AbiShapesTest, StoreDescriptorBelowTheSmallestIsRefused) {
  UseStore(plugin::kAbiStoreApiTooSmall);
  AddPlugins({plugin::kAbiOlder});
  LM_EXPECT_ERROR(Run({"up"}), 4,
                  plugin::kAbiStoreApiTooSmall.string() + ": the store descriptor is too small (120 bytes): damaged plugin");
  EXPECT_FALSE(fs::exists(StoreFile()));
}

TEST_F(AbiShapesTest, RecordBelowTheSmallestIsRefused) {
  UseStore(plugin::kAbiStoreRecordTooSmall);
  AddPlugins({plugin::kAbiOlder});
  WriteFile(StoreFile(), "R\t60\t1\tsmallest_60\t\t\n");
  LM_EXPECT_ERROR(Run({"status"}), 4,
                  plugin::kAbiStoreRecordTooSmall.string() +
                      ": a record the store listed is too small (8 bytes): damaged plugin");
  LM_EXPECT_ERROR(Run({"up"}), 4, "a record the store listed is too small (8 bytes)");
  EXPECT_EQ(ReadFile(StoreFile()), "R\t60\t1\tsmallest_60\t\t\n");
}

TEST_F(AbiShapesTest, HistoryEventBelowTheSmallestIsRefused) {
  UseStore(plugin::kAbiStoreEventTooSmall);
  AddPlugins({plugin::kAbiOlder});
  WriteFile(StoreFile(), "E\t60\tapply\tsmallest_60\t\n");
  LM_EXPECT_ERROR(Run({"history"}), 4,
                  plugin::kAbiStoreEventTooSmall.string() +
                      ": a history event the store listed is too small (4 bytes): damaged plugin");
}

}  // namespace
}  // namespace lm_test
