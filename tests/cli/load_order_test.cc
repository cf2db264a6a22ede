// When plugins load (docs/cli.md, "When plugins load"): by default a plugin
// file read from its lm_meta section loads while the steps before it run, so
// one that fails to load stops the run before its own step, with the steps
// before it applied and recorded, as a failed step would. --load-first, the
// config's "load_plugins": "first", --group and --verbose load every plugin
// before the first step: then nothing runs. A plugin whose static
// initialiser kills the worker is named as the plugin that died loading.
#include <map>
#include <regex>
#include <string>

#include "cli_fixture.h"

namespace lm_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class LoadOrderTest : public CliTest {
 protected:
  // version -> state, from `status --output json`.
  std::map<int64_t, std::string> States() {
    CliResult result = Run({"status", "--output", "json"});
    EXPECT_EQ(result.exit_code, 0) << result;
    std::map<int64_t, std::string> states;
    const json status = json::parse(result.out);
    for (const json& entry : status["versions"])
      states[entry["version"].get<int64_t>()] = entry["state"].get<std::string>();
    return states;
  }
  std::string FileName(const fs::path& plugin) const { return (MigrationsDir() / plugin.filename()).string(); }
};

TEST_F(LoadOrderTest, APluginThatFailsToLoadStopsTheRunBeforeItsStep) {
  AddPlugins({plugin::kLedger1, plugin::kLedger2, plugin::kUnresolved});
  UseSqlite();
  CliResult result = Run({"up"});
  LM_EXPECT_ERROR(result, 4, FileName(plugin::kUnresolved));
  EXPECT_THAT(result.err, HasSubstr("lm_test_defined_nowhere"));
  // The steps before it ran and were recorded; it never started.
  EXPECT_THAT(result.out, HasSubstr("[2/3] applying 2 ledger_2"));
  EXPECT_THAT(result.out, Not(HasSubstr("applying 38")));
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1, 2}));
  EXPECT_EQ(States(), (std::map<int64_t, std::string>{{1, "applied"}, {2, "applied"}, {38, "pending"}}));

  // Fixed (here: taken out), the next run has nothing left to do.
  fs::remove(FileName(plugin::kUnresolved));
  CliResult again = Run({"up"});
  LM_EXPECT_OK(again);
  EXPECT_EQ(again.out, "Store sqlite is at version 2: nothing to do.\n");
}

TEST_F(LoadOrderTest, LoadingFirstRunsNothingWhenAPluginFailsToLoad) {
  AddPlugins({plugin::kLedger1, plugin::kLedger2, plugin::kUnresolved});
  const auto expect_nothing_ran = [&](const CliResult& result) {
    LM_EXPECT_ERROR(result, 4, FileName(plugin::kUnresolved));
    EXPECT_THAT(result.out, Not(HasSubstr("applying"))) << result;
    EXPECT_EQ(Ledger(), (std::set<int64_t>{}));
  };
  UseSqlite();
  expect_nothing_ran(Run({"up", "--load-first"}));
  expect_nothing_ran(Run({"up", "--group"}));
  expect_nothing_ran(Run({"up", "--verbose"}));
  expect_nothing_ran(Run({"up", "--output", "json"}));
  WriteConfig({{"migrations", "migrations"},
               {"store", {{"plugin", "sqlite"}, {"options", {{"database", "target.db"}}}}},
               {"load_plugins", "first"}});
  expect_nothing_ran(Run({"up"}));
  EXPECT_EQ(States(), (std::map<int64_t, std::string>{{1, "pending"}, {2, "pending"}, {38, "pending"}}));
}

TEST_F(LoadOrderTest, LoadPluginsMustBeAKnownWord) {
  AddPlugins({plugin::kLedger1});
  WriteConfig({{"migrations", "migrations"},
               {"store", {{"plugin", "sqlite"}, {"options", {{"database", "target.db"}}}}},
               {"load_plugins", "later"}});
  LM_EXPECT_ERROR(Run({"up"}), 3, "$.load_plugins: must be \"while-running\" (the default) or \"first\"");
}

TEST_F(LoadOrderTest, APluginThatKillsTheWorkerWhileLoadingIsNamed) {
  AddPlugins({plugin::kLedger1, plugin::kLedger2, plugin::kLoadCrash});
  UseSqlite();
  CliResult result = Run({"up"});
  LM_EXPECT_ERROR(result, 4, "plugin " + plugin::kLoadCrash.filename().string() + " died with SIGSEGV while loading");
  // A step that died beside the load shows how long it ran, not the time
  // since the clock's epoch.
  std::smatch failed;
  if (std::regex_search(result.out, failed, std::regex("FAILED after ([0-9]+) ms: the worker died with SIGSEGV "
                                                       "while plugin lm_test_load_crash.so loaded"))) {
    EXPECT_LT(std::stoll(failed[1]), 60000) << result.out;
  }
  // Whichever step ran beside the load died with the worker: the store says
  // which got through, and never the crashing one.
  std::map<int64_t, std::string> states = States();
  EXPECT_EQ(states[39], "pending");
  for (int64_t version : {1, 2}) {
    const std::string& state = states[version];
    EXPECT_TRUE(state == "applied" || state == "pending" || state == "failed-rolled-back") << version << ": " << state;
    EXPECT_EQ(Ledger().count(version) == 1, state == "applied") << version;
  }

  // Loaded first, it kills the worker before any step: nothing ran.
  LM_EXPECT_ERROR(Run({"up", "--load-first"}), 4,
                  "plugin " + plugin::kLoadCrash.filename().string() + " died with SIGSEGV while loading");
  EXPECT_EQ(States()[39], "pending");

  fs::remove(FileName(plugin::kLoadCrash));
  LM_EXPECT_OK(Run({"up"}));
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1, 2}));
}

}  // namespace
}  // namespace lm_test
