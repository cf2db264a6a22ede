// Drift between the store and the plugins on disk: a changed applied
// migration, one rebuilt without the checksum its record has, a missing one,
// and a pending one older than the newest applied.
// Each is reported by `validate` (exit 8) and refused by `up` (exit 8), and
// each has its documented way out.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <string>
#include <utility>

#include "safety_env.h"

namespace lm::safety {
namespace {

class DriftTest : public testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override {
    ws_ = std::make_unique<Workspace>(GetParam());
    ws_->AddPlugin(LM_SAFETY_PLUGIN_DRIFT_10, "010_drift.so");
    ws_->AddPlugin(LM_SAFETY_PLUGIN_DRIFT_20, "020_drift.so");
    ws_->AddPlugin(LM_SAFETY_PLUGIN_DRIFT_30, "030_drift.so");
    ProcessResult up = ws_->Cli({"up"});
    ASSERT_TRUE(up.exited(0)) << up.Describe();
    ASSERT_EQ(ws_->Ledger(), (std::vector<int64_t>{10, 20, 30}));
  }

  // `validate` finds exactly one problem, printed as `expected_line`; `up`
  // refuses with the same message and runs nothing.
  void ExpectDetectedAndRefused(const std::string& expected_line) {
    ProcessResult validate = ws_->Cli({"validate"});
    EXPECT_TRUE(validate.exited(8)) << validate.Describe();
    EXPECT_TRUE(std::regex_match(validate.out, std::regex(expected_line + "\n"))) << validate.out;
    EXPECT_EQ(validate.err, "link-migration: error: 1 problem found (listed above)\n");

    const std::vector<int64_t> before = ws_->Ledger();
    ProcessResult up = ws_->Cli({"up"});
    EXPECT_TRUE(up.exited(8)) << up.Describe();
    const std::string message = expected_line.substr(expected_line.find(": ") + 2);
    EXPECT_TRUE(std::regex_match(up.err, std::regex("link-migration: error: " + message + "\n"))) << up.err;
    EXPECT_EQ(ws_->Ledger(), before) << "up ran a step despite the drift";
  }

  void ExpectValid() {
    ProcessResult validate = ws_->Cli({"validate"});
    EXPECT_TRUE(validate.exited(0)) << validate.Describe();
    ProcessResult up = ws_->Cli({"up"});
    EXPECT_TRUE(up.exited(0)) << up.Describe();
  }

  bool HasEvent(const std::string& kind, int64_t version) {
    for (const HistoryEvent& event : ws_->History())
      if (event.kind == kind && event.version == version) return true;
    return false;
  }

  std::unique_ptr<Workspace> ws_;
};

TEST_P(DriftTest, ChecksumChangedThenRepaired) {
  ws_->AddPlugin(LM_SAFETY_PLUGIN_DRIFT_20_CHANGED, "020_drift.so");
  ExpectDetectedAndRefused(
      R"(checksum-changed: version 20 \(drift_20\) changed since it was applied \(recorded sha256:[0-9a-f]{12}\.\.\., )"
      R"(020_drift\.so has sha256:[0-9a-f]{12}\.\.\.\); restore it, or run 'repair' to accept the change)");

  ProcessResult repair = ws_->Cli({"repair"});
  EXPECT_TRUE(repair.exited(0)) << repair.Describe();
  EXPECT_TRUE(std::regex_match(
      repair.out,
      std::regex(R"(repaired version 20 \(drift_20\): checksum sha256:[0-9a-f]{64} -> sha256:[0-9a-f]{64}\n)"
                 R"(1 record repaired\.\n)")))
      << repair.out;
  EXPECT_TRUE(HasEvent("repair", 20));
  ExpectValid();
  EXPECT_EQ(ws_->Ledger(), (std::vector<int64_t>{10, 20, 30}));
}

// A rebuild without LM_SOURCE_CHECKSUM must not pass as unchanged: with no
// checksum to compare, any change to the source would go unseen.
TEST_P(DriftTest, ChecksumMissingThenAccepted) {
  ws_->AddPlugin(LM_SAFETY_PLUGIN_DRIFT_20_NO_CHECKSUM, "020_drift.so");
  ExpectDetectedAndRefused(
      R"(checksum-missing: version 20 \(drift_20\) was applied with checksum sha256:[0-9a-f]{12}\.\.\. but )"
      R"(020_drift\.so has none \(built without LM_SOURCE_CHECKSUM\), so a change cannot be seen; rebuild it with )"
      R"(link_migration_add_migration\(\) or -DLM_SOURCE_CHECKSUM, or run 'repair' to accept it without a checksum)");

  ProcessResult json_validate = ws_->Cli({"-o", "json", "validate"});
  EXPECT_TRUE(json_validate.exited(8)) << json_validate.Describe();
  const nlohmann::json report = nlohmann::json::parse(json_validate.out);
  EXPECT_EQ(report["valid"], false);
  ASSERT_EQ(report["drift"].size(), 1u) << json_validate.out;
  EXPECT_EQ(report["drift"][0]["kind"], "checksum-missing");
  EXPECT_EQ(report["drift"][0]["version"], 20);

  // The override every drift has.
  ProcessResult unchecked = ws_->Cli({"up", "--no-validate"});
  EXPECT_TRUE(unchecked.exited(0)) << unchecked.Describe();

  ProcessResult repair = ws_->Cli({"repair"});
  EXPECT_TRUE(repair.exited(0)) << repair.Describe();
  EXPECT_TRUE(std::regex_match(
      repair.out, std::regex(R"(repaired version 20 \(drift_20\): checksum sha256:[0-9a-f]{64} -> \(none\)\n)"
                             R"(1 record repaired\.\n)")))
      << repair.out;
  EXPECT_TRUE(HasEvent("repair", 20));
  ExpectValid();

  // Rebuilt with its checksum again: repair records it, and validate compares it from then on.
  ws_->AddPlugin(LM_SAFETY_PLUGIN_DRIFT_20, "020_drift.so");
  ProcessResult rerecord = ws_->Cli({"repair"});
  EXPECT_TRUE(rerecord.exited(0)) << rerecord.Describe();
  EXPECT_NE(rerecord.out.find("checksum (none) -> sha256:"), std::string::npos) << rerecord.out;
  ws_->AddPlugin(LM_SAFETY_PLUGIN_DRIFT_20_CHANGED, "020_drift.so");
  EXPECT_TRUE(ws_->Cli({"validate"}).exited(8));
  EXPECT_EQ(ws_->Ledger(), (std::vector<int64_t>{10, 20, 30}));
}

TEST_P(DriftTest, MissingThenMarkedPending) {
  ws_->RemovePlugin("020_drift.so");
  ExpectDetectedAndRefused(
      R"(missing: version 20 \(drift_20\) is applied but no migration plugin provides it; restore its plugin, )"
      R"(or run 'mark-pending 20' if it was undone by hand)");
  EXPECT_EQ(ws_->States()[20], "applied, no plugin");

  ProcessResult mark = ws_->Cli({"mark-pending", "20"});
  EXPECT_TRUE(mark.exited(0)) << mark.Describe();
  EXPECT_TRUE(HasEvent("mark-pending", 20));
  EXPECT_EQ(ws_->States().count(20), 0u);
  ExpectValid();
}

TEST_P(DriftTest, OutOfOrderThenAllowed) {
  ws_->AddPlugin(LM_SAFETY_PLUGIN_DRIFT_15, "015_drift.so");
  ExpectDetectedAndRefused(R"(out-of-order: version 15 \(drift_15\) is pending but version 30 is already applied; )"
                           R"(run with --allow-out-of-order to apply it)");
  EXPECT_EQ(ws_->States()[15], "pending, out of order");

  ProcessResult up = ws_->Cli({"up", "--allow-out-of-order"});
  EXPECT_TRUE(up.exited(0)) << up.Describe();
  EXPECT_NE(up.out.find("[1/1] applying 15 drift_15"), std::string::npos) << up.out;
  EXPECT_EQ(ws_->Ledger(), (std::vector<int64_t>{10, 20, 30, 15}));
  EXPECT_EQ(ws_->States()[15], "applied");
  ExpectValid();
}

// status shows each drifted version's state with its drift, as Flyway's
// info does, in the table and in the JSON; drift does not change its exit code.
TEST_P(DriftTest, StatusShowsEachDrift) {
  ws_->AddPlugin(LM_SAFETY_PLUGIN_DRIFT_10_NO_CHECKSUM, "010_drift.so");
  ws_->AddPlugin(LM_SAFETY_PLUGIN_DRIFT_15, "015_drift.so");
  ws_->AddPlugin(LM_SAFETY_PLUGIN_DRIFT_20_CHANGED, "020_drift.so");
  ws_->RemovePlugin("030_drift.so");
  EXPECT_EQ(ws_->States(), (std::map<int64_t, std::string>{{10, "applied, checksum missing"},
                                                           {15, "pending, out of order"},
                                                           {20, "applied, changed"},
                                                           {30, "applied, no plugin"}}));

  ProcessResult json_status = ws_->Cli({"-o", "json", "status"});
  ASSERT_TRUE(json_status.exited(0)) << json_status.Describe();
  std::map<int64_t, std::pair<std::string, std::string>> shown;  // version -> state, drift kind
  const nlohmann::json status = nlohmann::json::parse(json_status.out);
  for (const nlohmann::json& line : status["versions"]) {
    const nlohmann::json& drift = line["drift"];
    ASSERT_TRUE(drift.is_null() || drift["message"].is_string()) << line;
    shown[line["version"]] = {line["state"], drift.is_null() ? "" : drift["kind"]};
  }
  EXPECT_EQ(shown, (std::map<int64_t, std::pair<std::string, std::string>>{{10, {"applied", "checksum-missing"}},
                                                                          {15, {"pending", "out-of-order"}},
                                                                          {20, {"applied", "checksum-changed"}},
                                                                          {30, {"applied", "missing"}}}));

  // Put right, each state is plain again.
  ws_->AddPlugin(LM_SAFETY_PLUGIN_DRIFT_10, "010_drift.so");
  ws_->RemovePlugin("015_drift.so");
  ws_->AddPlugin(LM_SAFETY_PLUGIN_DRIFT_20, "020_drift.so");
  ws_->AddPlugin(LM_SAFETY_PLUGIN_DRIFT_30, "030_drift.so");
  EXPECT_EQ(ws_->States(), (std::map<int64_t, std::string>{{10, "applied"}, {20, "applied"}, {30, "applied"}}));
}

INSTANTIATE_TEST_SUITE_P(Stores, DriftTest, testing::Values(StoreKind::kSqlite, StoreKind::kJsonFile),
                         [](const testing::TestParamInfo<StoreKind>& info) { return StoreKindName(info.param); });

}  // namespace
}  // namespace lm::safety
