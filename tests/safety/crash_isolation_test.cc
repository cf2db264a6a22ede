// A step that segfaults, aborts, calls exit(3) or hangs cannot take the
// runner down: the runner shows what the step printed, names the version and
// plugin file in one error line, exits 10 (11 for the hang), records the
// failure with a `fail` event, and releases the lock.
#include <gtest/gtest.h>

#include <regex>
#include <tuple>

#include "safety_env.h"

namespace lm::safety {
namespace {

struct Crash {
  const char* name;    // for test names
  const char* plugin;  // built plugin path
  int exit_code;       // the runner's
  const char* reason;  // regex of what the error line says happened
};

void PrintTo(const Crash& crash, std::ostream* out) { *out << crash.name; }

const Crash kSegv{"segv", LM_SAFETY_PLUGIN_CRASH_SEGV, 10, "died with SIGSEGV"};
const Crash kAbort{"abort", LM_SAFETY_PLUGIN_CRASH_ABORT, 10, "died with SIGABRT"};
const Crash kExit3{"exit3", LM_SAFETY_PLUGIN_CRASH_EXIT3, 10, R"(\S.*\bexit\(3\))"};
const Crash kHang{"hang", LM_SAFETY_PLUGIN_CRASH_HANG, 11, R"(timed out\b.*)"};

class CrashIsolationTest : public testing::TestWithParam<std::tuple<Crash, StoreKind>> {
 protected:
  const Crash& crash() const { return std::get<0>(GetParam()); }
  StoreKind store() const { return std::get<1>(GetParam()); }
  std::string file() const { return std::filesystem::path(crash().plugin).filename().string(); }

  std::vector<std::string> Up(const char* lock_timeout) const {
    return {"up", "--step-timeout", "1000", "--lock-timeout", lock_timeout};
  }

  // The one stderr line of a run that died in version 2.
  void ExpectDeathReported(const ProcessResult& run) const {
    EXPECT_TRUE(run.exited(crash().exit_code)) << run.Describe();
    std::vector<std::string> lines = LinesWith(run.err, "version 2");
    ASSERT_EQ(lines.size(), 1u) << run.err;
    const std::regex expected("^link-migration: error: version 2 \\(" +
                              std::regex_replace(file(), std::regex(R"(\.)"), R"(\.)") + "\\) " + crash().reason +
                              " during up$");
    EXPECT_TRUE(std::regex_match(lines[0], expected)) << lines[0];
  }
};

TEST_P(CrashIsolationTest, ReportedRecordedAndUnlocked) {
  Workspace ws(store());
  ws.AddPlugin(crash().plugin);

  ProcessResult run = ws.Cli(Up("10000"), milliseconds(30000));
  ExpectDeathReported(run);
  if (crash().exit_code == 11) {
    EXPECT_LT(run.elapsed, milliseconds(10000)) << "the hang was not cut at 1000 ms";
  }
  // Version 1 went through; version 2's output before it died is shown.
  EXPECT_NE(run.out.find("[1/2] applying 1 before_the_crash"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("\n    | printed by version 2 before it dies\n"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("\n    logged by version 2 before it dies\n"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("    FAILED after "), std::string::npos) << run.out;

  std::map<int64_t, std::string> states = ws.States();
  EXPECT_EQ(states[1], "applied");
  bool fail_event = false;
  for (const HistoryEvent& event : ws.History()) fail_event |= event.kind == "fail" && event.version == 2;
  EXPECT_TRUE(fail_event) << "no fail event for version 2 in the history";

  if (IsTransactional(store())) {
    // The worker's transaction died with it: version 2's own SQL is gone.
    EXPECT_EQ(states[2], "failed-rolled-back");
    EXPECT_EQ(ws.Ledger(), (std::vector<int64_t>{1}));
    EXPECT_EQ(QuerySqlite(ws.dir() / "app.db", "SELECT count(*) FROM sqlite_master WHERE name = 'crash_probe'"),
              (std::vector<int64_t>{0}));

    // The lock went with the worker: an immediate rerun retries version 2
    // (failed-rolled-back is pending) rather than waiting for the lock.
    ProcessResult again = ws.Cli(Up("0"), milliseconds(30000));
    ExpectDeathReported(again);
    EXPECT_EQ(ws.States()[2], "failed-rolled-back");
  } else {
    // No transaction: the step's work may be half done, so a human decides.
    EXPECT_EQ(states[2], "failed-partial");
    EXPECT_EQ(ws.Ledger(), (std::vector<int64_t>{1, 2}));

    ProcessResult again = ws.Cli(Up("0"), milliseconds(30000));
    EXPECT_TRUE(again.exited(9)) << again.Describe();
    EXPECT_NE(again.err.find("version 2 (crash)"), std::string::npos) << again.err;
    EXPECT_NE(again.err.find("'mark-applied 2'"), std::string::npos) << again.err;
    EXPECT_NE(again.err.find("'mark-pending 2'"), std::string::npos) << again.err;

    // The ledger shows version 2's work was done: record it as applied.
    ProcessResult mark = ws.Cli({"mark-applied", "2", "--lock-timeout", "0"});
    EXPECT_TRUE(mark.exited(0)) << mark.Describe();
    EXPECT_EQ(ws.States()[2], "applied");
    ProcessResult done = ws.Cli(Up("0"));
    EXPECT_TRUE(done.exited(0)) << done.Describe();
    EXPECT_EQ(ws.Ledger(), (std::vector<int64_t>{1, 2}));
  }
}

INSTANTIATE_TEST_SUITE_P(Kinds, CrashIsolationTest,
                         testing::Combine(testing::Values(kSegv, kAbort, kExit3, kHang),
                                          testing::Values(StoreKind::kSqlite, StoreKind::kJsonFile)),
                         [](const testing::TestParamInfo<std::tuple<Crash, StoreKind>>& info) {
                           return std::string(std::get<0>(info.param).name) + "_" +
                                  StoreKindName(std::get<1>(info.param));
                         });

}  // namespace
}  // namespace lm::safety
