// -o json on every read command and on migrate: one document on stdout,
// with schema_version and the keys docs/cli.md lists; errors still one line
// on stderr.
#include "cli_fixture.h"

namespace lm_test {
namespace {

using ::testing::ElementsAre;

class JsonOutputTest : public CliTest {
 protected:
  void SetUp() override {
    AddPlugins({plugin::kLedger1, plugin::kLedger2});
    UseSqlite();
  }

  // Runs with -o json; the parsed stdout.
  json RunJson(std::vector<std::string> args, int expected_exit = 0) {
    args.insert(args.end(), {"-o", "json"});
    CliResult result = Run(args);
    EXPECT_EQ(result.exit_code, expected_exit) << result;
    if (expected_exit == 0) {
      EXPECT_EQ(result.err, "") << result;
    }
    json document = json::parse(result.out, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(document.is_discarded()) << result;
    EXPECT_EQ(document.value("schema_version", 0), 1) << result;
    return document;
  }

  static std::set<std::string> Keys(const json& object) {
    std::set<std::string> keys;
    for (const auto& [key, value] : object.items()) keys.insert(key);
    return keys;
  }
};

TEST_F(JsonOutputTest, Current) {
  EXPECT_EQ(RunJson({"current"}), (json{{"current_version", 0}, {"schema_version", 1}}));
  LM_EXPECT_OK(Run({"up"}));
  EXPECT_EQ(RunJson({"-v"})["current_version"], 2);
}

TEST_F(JsonOutputTest, Status) {
  LM_EXPECT_OK(Run({"to", "1"}));
  json status = RunJson({"status"});
  EXPECT_EQ(Keys(status), (std::set<std::string>{"store", "current_version", "versions", "broken_plugins", "warnings",
                                                 "schema_version"}));
  EXPECT_EQ(status["broken_plugins"], json::array());
  EXPECT_EQ(status["store"], "sqlite");
  EXPECT_EQ(status["current_version"], 1);
  ASSERT_EQ(status["versions"].size(), 2u);
  const json& applied = status["versions"][0];
  EXPECT_EQ(Keys(applied), (std::set<std::string>{"version", "name", "state", "plugin", "applied_at", "applied_by",
                                                  "duration_ms", "checksum", "error", "attempts", "changelog",
                                                  "runner_version", "run_id", "drift"}));
  EXPECT_EQ(applied["state"], "applied");
  EXPECT_EQ(applied["drift"], nullptr);
  EXPECT_EQ(applied["name"], "ledger_1");
  EXPECT_EQ(status["versions"][1], (json{{"version", 2},
                                         {"name", "ledger_2"},
                                         {"state", "pending"},
                                         {"plugin", (MigrationsDir() / plugin::kLedger2.filename()).string()},
                                         {"drift", nullptr}}));
}

TEST_F(JsonOutputTest, History) {
  LM_EXPECT_OK(Run({"up"}));
  LM_EXPECT_OK(Run({"down", "--steps", "1"}));
  json history = RunJson({"history"});
  EXPECT_EQ(history["history_supported"], true);
  ASSERT_EQ(history["events"].size(), 3u);
  std::vector<std::string> kinds;
  for (const json& event : history["events"]) {
    EXPECT_EQ(Keys(event), (std::set<std::string>{"at", "kind", "version", "name", "by", "duration_ms", "detail",
                                                  "run_id"}));
    kinds.push_back(event["kind"]);
  }
  EXPECT_THAT(kinds, ElementsAre("apply", "apply", "revert"));
  EXPECT_EQ(history["events"][2]["version"], 2);
}

TEST_F(JsonOutputTest, Validate) {
  EXPECT_EQ(RunJson({"validate"}), (json{{"valid", true}, {"drift", json::array()}, {"schema_version", 1}}));
  LM_EXPECT_OK(Run({"up"}));
  fs::remove(MigrationsDir() / plugin::kLedger2.filename());
  json drift = RunJson({"validate"}, 8);
  EXPECT_EQ(drift["valid"], false);
  ASSERT_EQ(drift["drift"].size(), 1u);
  EXPECT_EQ(drift["drift"][0]["kind"], "missing");
  EXPECT_EQ(drift["drift"][0]["version"], 2);
}

TEST_F(JsonOutputTest, DryRunIsThePlan) {
  json plan = RunJson({"up", "--dry-run"});
  EXPECT_EQ(plan["dry_run"], true);
  EXPECT_EQ(plan["from_version"], 0);
  EXPECT_EQ(plan["to_version"], 2);
  EXPECT_EQ(plan["ok"], true);
  ASSERT_EQ(plan["steps"].size(), 2u);
  EXPECT_EQ(plan["steps"][0], (json{{"version", 1},
                                    {"name", "ledger_1"},
                                    {"direction", "up"},
                                    {"description", "Adds row 1 to the ledger."},
                                    {"status", "planned"}}));
  EXPECT_TRUE(Ledger().empty());
}

TEST_F(JsonOutputTest, MigrateReportsEachStepAndTheEnd) {
  AddPlugins({plugin::kThrows});
  json run = RunJson({"up"}, 1);
  EXPECT_EQ(run["ok"], false);
  EXPECT_EQ(run["exit_code"], 1);
  EXPECT_EQ(run["steps"][0]["status"], "applied");
  EXPECT_EQ(run["steps"][2]["status"], "failed");
  EXPECT_EQ(run["steps"][2]["error"], "throws_30 always fails after writing its row");
  EXPECT_TRUE(run["steps"][0]["duration_ms"].is_number());
}

TEST_F(JsonOutputTest, BundleInspectAndVerify) {
  AddPlugins({plugin::kBundle});
  LM_EXPECT_OK(RunRaw({"bundle", "create", "b.lmbundle", "--name", "shop", "--bundle-version", "1.2",
                       MigrationsDir().string()}));
  for (const char* action : {"inspect", "verify"}) {
    CliResult result = RunRaw({"bundle", action, "b.lmbundle", "-o", "json"});
    LM_EXPECT_OK(result);
    json bundle = json::parse(result.out);
    EXPECT_EQ(bundle["schema_version"], 1);
    EXPECT_EQ(bundle["name"], "shop");
    EXPECT_EQ(bundle["version"], "1.2");
    EXPECT_EQ(bundle["verified"], true);
    EXPECT_EQ(bundle["signatures"], json::array());
    ASSERT_EQ(bundle["files"].size(), 3u);
    std::set<int64_t> versions;
    for (const json& file : bundle["files"]) {
      EXPECT_EQ(Keys(file), (std::set<std::string>{"path", "size", "sha256", "migrations"}));
      EXPECT_EQ(file["sha256"].get<std::string>().size(), 64u);
      for (const json& migration : file["migrations"]) versions.insert(migration["version"].get<int64_t>());
    }
    EXPECT_EQ(versions, (std::set<int64_t>{1, 2, 20, 21, 22}));
  }
}

TEST_F(JsonOutputTest, ErrorsStayOnStderr) {
  CliResult result = Run({"to", "99", "-o", "json"});
  EXPECT_EQ(result.exit_code, 7) << result;
  EXPECT_EQ(json::parse(result.out)["ok"], false);
  EXPECT_THAT(result.err, ::testing::StartsWith("link-migration: error: "));
  LM_EXPECT_ERROR(Run({"status", "-o", "yaml"}), 2, "--output takes text or json, not 'yaml'");
}

}  // namespace
}  // namespace lm_test
