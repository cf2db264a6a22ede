// Eight runners started together against one store apply each of 50
// migrations exactly once: the store's lock spans a whole run, so the first
// runner applies everything and the others, once they get the lock, find
// nothing pending.
#include <gtest/gtest.h>

#include <regex>

#include "safety_env.h"

namespace lm::safety {
namespace {

constexpr int kRunners = 8;
constexpr int64_t kMigrations = 50;

class ConcurrencyTest : public testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override {
    if (IsPostgres(GetParam()) && !PostgresServerConninfo()) GTEST_SKIP() << "no postgres fixture";
    ws_ = std::make_unique<Workspace>(GetParam());
  }

  // Starts kRunners `up`s held at one gate, releases them at once, and checks
  // what each one did and what the store and ledger hold afterwards.
  void RunTogetherAndCheck() {
    std::vector<Process> runners;
    {
      StartGate gate;
      for (int i = 0; i < kRunners; ++i)
        runners.push_back(ws_->Start({"up", "--lock-timeout", "60000"}, gate.Options()));
      gate.Release();
    }
    int finished = 0;
    int64_t steps_run = 0;
    const std::regex migrating(R"(^Migrating \S+ from version (\d+) to (\d+) in (\d+) steps?\.$)");
    for (Process& runner : runners) {
      ProcessResult result = runner.Wait(milliseconds(90000));
      EXPECT_TRUE(result.exited(0) || result.exited(6)) << result.Describe();
      if (result.exited(0)) ++finished;
      for (const std::string& line : Lines(result.out)) {
        std::smatch match;
        if (std::regex_match(line, match, migrating)) steps_run += std::stoll(match[3]);
      }
    }
    EXPECT_GE(finished, 1);
    // Every runner's plans together cover the 50 migrations once.
    EXPECT_EQ(steps_run, kMigrations);

    EXPECT_EQ(DescribeLedger(ws_->Ledger(), 1, kMigrations), "versions 1..50, each once");
    EXPECT_EQ(ws_->Ledger().size(), static_cast<size_t>(kMigrations));

    std::map<int64_t, std::string> states = ws_->States();
    int applied = 0;
    for (const auto& [version, state] : states) {
      EXPECT_EQ(state, "applied") << "version " << version;
      applied += state == "applied";
    }
    EXPECT_EQ(applied, kMigrations);
    EXPECT_EQ(states.size(), static_cast<size_t>(kMigrations));

    std::map<int64_t, int> apply_events;
    for (const HistoryEvent& event : ws_->History()) {
      EXPECT_EQ(event.kind, "apply") << event.line;
      if (event.kind == "apply") ++apply_events[event.version];
    }
    EXPECT_EQ(apply_events.size(), static_cast<size_t>(kMigrations));
    for (const auto& [version, count] : apply_events) EXPECT_EQ(count, 1) << "apply events of version " << version;
  }

  std::unique_ptr<Workspace> ws_;
};

TEST_P(ConcurrencyTest, EightRunnersOneBundle) {
  ws_->AddPlugin(LM_SAFETY_PLUGIN_LEDGER_1_50);
  RunTogetherAndCheck();
}

TEST_P(ConcurrencyTest, EightRunnersFourPlugins) {
  for (const char* plugin : {LM_SAFETY_PLUGIN_LEDGER_1_13, LM_SAFETY_PLUGIN_LEDGER_14_25, LM_SAFETY_PLUGIN_LEDGER_26_38,
                             LM_SAFETY_PLUGIN_LEDGER_39_50})
    ws_->AddPlugin(plugin);
  RunTogetherAndCheck();
}

INSTANTIATE_TEST_SUITE_P(Stores, ConcurrencyTest,
                         testing::Values(StoreKind::kSqlite, StoreKind::kJsonFile, StoreKind::kPostgresAdvisory,
                                         StoreKind::kPostgresLease),
                         [](const testing::TestParamInfo<StoreKind>& info) { return StoreKindName(info.param); });

}  // namespace
}  // namespace lm::safety
