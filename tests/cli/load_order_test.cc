// When plugins load (docs/cli.md, "When plugins load"): the worker loads and
// checks every plugin the plan needs before the first step, so a plugin that
// fails to load, or whose static initialiser kills the worker, stops the run
// with nothing changed and the file named. --load-first and the config's
// "load_plugins" are no longer needed: accepted, with a note.
#include <map>
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

  // The run stopped before its first step: nothing applied, nothing recorded.
  void ExpectNothingRan(const CliResult& result, int64_t broken_version) {
    EXPECT_THAT(result.out, Not(HasSubstr("applying"))) << result;
    EXPECT_EQ(Ledger(), (std::set<int64_t>{}));
    EXPECT_EQ(States(), (std::map<int64_t, std::string>{{1, "pending"}, {2, "pending"}, {broken_version, "pending"}}));
    CliResult history = Run({"history", "--output", "json"});
    LM_EXPECT_OK(history);
    EXPECT_TRUE(json::parse(history.out)["events"].empty()) << history.out;
  }
};

TEST_F(LoadOrderTest, APluginThatFailsToLoadStopsTheRunBeforeAnyStep) {
  AddPlugins({plugin::kLedger1, plugin::kLedger2, plugin::kUnresolved});
  UseSqlite();
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"up"}, {"up", "--group"}, {"up", "--verbose"}, {"up", "--output", "json"}, {"up", "--dry-run"}}) {
    SCOPED_TRACE(args.back());
    CliResult result = Run(args);
    LM_EXPECT_ERROR(result, 4, FileName(plugin::kUnresolved));
    EXPECT_THAT(result.err, HasSubstr("lm_test_defined_nowhere"));
    ExpectNothingRan(result, 38);
  }

  // Fixed (here: taken out), the next run applies the others.
  fs::remove(FileName(plugin::kUnresolved));
  LM_EXPECT_OK(Run({"up"}));
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1, 2}));
}

TEST_F(LoadOrderTest, APluginThatKillsTheWorkerWhileLoadingIsNamedAndNothingRuns) {
  AddPlugins({plugin::kLedger1, plugin::kLedger2, plugin::kLoadCrash});
  UseSqlite();
  CliResult result = Run({"up"});
  LM_EXPECT_ERROR(result, 4,
                  FileName(plugin::kLoadCrash) + ": the worker died with SIGSEGV while loading this plugin; no step ran");
  ExpectNothingRan(result, 39);

  fs::remove(FileName(plugin::kLoadCrash));
  LM_EXPECT_OK(Run({"up"}));
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1, 2}));
}

// Existing scripts and configs keep working: the option and the key still
// parse, and say once that they are no longer needed.
TEST_F(LoadOrderTest, LoadFirstAndLoadPluginsStillParseWithANote) {
  AddPlugins({plugin::kLedger1});
  UseSqlite();
  CliResult flagged = Run({"up", "--load-first"});
  EXPECT_EQ(flagged.exit_code, 0) << flagged;
  EXPECT_THAT(flagged.err, HasSubstr("note: --load-first is no longer needed"));
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1}));

  for (const char* value : {"first", "while-running"}) {
    WriteConfig({{"migrations", "migrations"},
                 {"store", {{"plugin", "sqlite"}, {"options", {{"database", "target.db"}}}}},
                 {"load_plugins", value}});
    CliResult configured = Run({"status"});
    EXPECT_EQ(configured.exit_code, 0) << configured;
    EXPECT_THAT(configured.err, HasSubstr("note: "));
    EXPECT_THAT(configured.err, HasSubstr("\"load_plugins\" is no longer needed"));
  }
}

TEST_F(LoadOrderTest, LoadPluginsMustStillBeAKnownWord) {
  AddPlugins({plugin::kLedger1});
  WriteConfig({{"migrations", "migrations"},
               {"store", {{"plugin", "sqlite"}, {"options", {{"database", "target.db"}}}}},
               {"load_plugins", "later"}});
  LM_EXPECT_ERROR(Run({"up"}), 3, "$.load_plugins: must be \"while-running\" (the default) or \"first\"");
}

}  // namespace
}  // namespace lm_test
