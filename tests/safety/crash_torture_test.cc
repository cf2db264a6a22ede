// A run of 100 migrations killed with SIGKILL (runner and worker together, as
// a lost machine) at 30 random moments. After every kill the store tells the
// truth about the ledger the migrations write; after recovering as
// docs/operations.md says, a final run completes with every version applied
// exactly once.
//
// The moments come from a seeded RNG; the seed is printed, and
// LM_SAFETY_SEED=<n> replays a choice of moments (timing still varies).
//
// HistoryGapTest aims one kill at the moment between a json-file record and
// the history event that explains it.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <stdexcept>

#include "safety_env.h"

namespace lm::safety {
namespace {

constexpr int kKills = 30;
constexpr int64_t kMigrations = 100;

uint64_t Seed() {
  if (const char* text = std::getenv("LM_SAFETY_SEED"); text != nullptr && *text != '\0')
    return std::strtoull(text, nullptr, 10);
  return std::random_device()();
}

class CrashTortureTest : public testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override {
    if (IsPostgres(GetParam()) && !PostgresServerConninfo()) GTEST_SKIP() << "no postgres fixture";
    ws_ = std::make_unique<Workspace>(GetParam());
    ws_->AddPlugin(LM_SAFETY_PLUGIN_TORTURE_1_100);
  }

  // Checks what a kill left behind; returns the version left in a state other
  // than applied (at most one may be), or 0.
  int64_t CheckConsistent() {
    // status first: it must read a store a killed runner left, as it is.
    const std::map<int64_t, std::string> states = ws_->States();
    const std::map<int64_t, int> in_ledger = Count(ws_->Ledger());
    int64_t unfinished = 0;
    int unfinished_count = 0;
    applied_ = 0;
    for (const auto& [version, state] : states) {
      if (state == "pending") continue;
      auto found = in_ledger.find(version);
      const int count = found == in_ledger.end() ? 0 : found->second;
      if (state == "applied") {
        ++applied_;
        EXPECT_EQ(count, 1) << "version " << version << " is recorded applied but is in the ledger " << count
                            << " times";
      } else {
        ++unfinished_count;
        unfinished = version;
        // A transactional step never leaves a running mark; a store without
        // transactions marks the step running first.
        if (IsTransactional(GetParam())) {
          ADD_FAILURE() << "version " << version << " is " << state << " on a transactional store";
        } else {
          EXPECT_TRUE(state == "running" || state == "failed-partial") << "version " << version << ": " << state;
        }
        EXPECT_LE(count, 1) << "version " << version << " (" << state << ") is in the ledger " << count << " times";
      }
    }
    EXPECT_LE(unfinished_count, 1) << "more than one version is neither applied nor pending";
    for (const auto& [version, count] : in_ledger) {
      auto state = states.find(version);
      const bool applied = state != states.end() && state->second == "applied";
      const bool unfinished_here = unfinished_count > 0 && version == unfinished;
      EXPECT_TRUE(applied || (!IsTransactional(GetParam()) && unfinished_here))
          << "version " << version << " is in the ledger but recorded "
          << (state == states.end() ? "nowhere" : state->second);
      EXPECT_EQ(count, 1) << "version " << version << " is in the ledger " << count << " times";
    }
    // The history says how each applied version got there. (On json-file
    // the record and the event are two writes; see HistoryGapTest below.)
    if (!IsTransactional(GetParam())) return unfinished;
    std::map<int64_t, int> applied_events;
    for (const HistoryEvent& event : ws_->History())
      if (event.kind == "apply" || event.kind == "mark-applied") ++applied_events[event.version];
    for (const auto& [version, state] : states) {
      if (state == "applied") {
        EXPECT_GE(applied_events[version], 1) << "version " << version << " is applied, but the history has no apply "
                                              << "or mark-applied event for it";
      }
    }
    return unfinished;
  }

  // As docs/operations.md says: `up` refuses (exit 9) and names the
  // commands; the ledger tells whether the step's work happened.
  void Recover(int64_t version) {
    const std::string v = std::to_string(version);
    ProcessResult refused = ws_->Cli({"up"});
    EXPECT_TRUE(refused.exited(9)) << refused.Describe();
    EXPECT_NE(refused.err.find("version " + v + " (ledger_" + v + ")"), std::string::npos) << refused.err;
    EXPECT_NE(refused.err.find("'mark-applied " + v + "' or 'mark-pending " + v + "'"), std::string::npos)
        << refused.err;
    const std::map<int64_t, int> in_ledger = Count(ws_->Ledger());
    const bool done = in_ledger.count(version) > 0;
    ProcessResult mark = ws_->Cli({done ? "mark-applied" : "mark-pending", v});
    EXPECT_TRUE(mark.exited(0)) << mark.Describe();
    ++(done ? marked_applied_ : marked_pending_);
  }

  // The step headings ("[3/97] applying 4 ledger_4 ...") a run has printed.
  static int64_t StepsStarted(const std::string& out) {
    int64_t count = 0;
    for (const std::string& line : Lines(out))
      count += !line.empty() && line[0] == '[' && line.find("] applying ") != std::string::npos;
    return count;
  }

  std::unique_ptr<Workspace> ws_;
  int64_t applied_ = 0;  // as of the last CheckConsistent
  int marked_applied_ = 0;
  int marked_pending_ = 0;
};

TEST_P(CrashTortureTest, ThirtyKillsThenCompletion) {
  const uint64_t seed = Seed();
  std::cout << "[ seed     ] LM_SAFETY_SEED=" << seed << " (" << StoreKindName(GetParam()) << ")" << std::endl;
  RecordProperty("seed", std::to_string(seed));
  std::mt19937_64 random(seed);
  auto uniform = [&](int64_t low, int64_t high) { return std::uniform_int_distribution<int64_t>(low, high)(random); };

  // A runner's start-up (exec, loading plugins, opening the store) as
  // measured here: some kills land in it.
  ProcessResult probe = ws_->Cli({"status"});
  ASSERT_TRUE(probe.exited(0)) << probe.Describe();
  const int64_t startup_ms = probe.elapsed.count();

  int killed = 0, completed = 0, in_startup = 0;
  for (int attempt = 0; attempt < kKills; ++attempt) {
    SCOPED_TRACE("kill " + std::to_string(attempt + 1) + ", seed " + std::to_string(seed));
    // The moment: one in five during start-up; the others a random number
    // of steps into the run (spreading what is left, less some for the final
    // run, over the kills to come), then 0..20 ms into that step.
    const int64_t remaining = kMigrations - applied_ - 10;
    const bool early = uniform(0, 4) == 0;
    const int64_t steps = early ? 0 : uniform(1, std::max<int64_t>(1, 2 * remaining / (kKills - attempt + 1)));
    const milliseconds jitter(early ? uniform(0, startup_ms) : uniform(0, 20));

    Process run = ws_->Start({"up", "--lock-timeout", "10000"});
    if (steps > 0) {
      ASSERT_TRUE(PollUntil([&] { return StepsStarted(run.CurrentOut()) >= steps || run.Ended(); }, milliseconds(30000),
                            milliseconds(1)));
    }
    const bool started_a_step = StepsStarted(run.CurrentOut()) > 0;
    ProcessResult result = run.Ended(jitter) ? run.Wait(milliseconds(1000)) : run.KillGroup();
    if (result.signal == SIGKILL) {
      ++killed;
      in_startup += !started_a_step;
    } else {
      // It beat the kill: it must have finished everything.
      EXPECT_TRUE(result.exited(0)) << result.Describe();
      ++completed;
    }
    const int64_t unfinished = CheckConsistent();
    if (HasFailure()) break;
    if (unfinished != 0) Recover(unfinished);
  }
  const size_t rows_before_final = ws_->Ledger().size();
  std::cout << "[ torture  ] " << killed << " kills landed (" << in_startup << " before the first step), " << completed
            << " runs completed first; " << marked_applied_ << " mark-applied, " << marked_pending_ << " mark-pending; "
            << rows_before_final << " of " << kMigrations << " applied before the final run" << std::endl;
  EXPECT_GE(killed, kKills * 2 / 3) << "most kills should land while the runner still runs";

  ProcessResult final_run = ws_->Cli({"up", "--lock-timeout", "10000"});
  EXPECT_TRUE(final_run.exited(0)) << final_run.Describe();
  EXPECT_EQ(DescribeLedger(ws_->Ledger(), 1, kMigrations), "versions 1..100, each once");
  std::map<int64_t, std::string> states = ws_->States();
  EXPECT_EQ(states.size(), static_cast<size_t>(kMigrations));
  for (const auto& [version, state] : states) EXPECT_EQ(state, "applied") << "version " << version;
}

// Whether versions.json's text shows a version recorded applied with no
// apply or mark-applied event in its history; *version names it.
bool AppliedWithoutEvent(const std::string& text, int64_t* version) {
  const nlohmann::json document = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!document.is_object() || !document.contains("records") || !document.contains("events")) return false;
  std::set<int64_t> with_event;
  for (const nlohmann::json& event : document["events"]) {
    const std::string kind = event.value("kind", "");
    if (kind == "apply" || kind == "mark-applied") with_event.insert(event.value("version", int64_t{0}));
  }
  for (const nlohmann::json& record : document["records"]) {
    if (record.value("state", "") == "applied" && !with_event.count(record.value("version", int64_t{0}))) {
      *version = record.value("version", int64_t{0});
      return true;
    }
  }
  return false;
}

// On the json-file store (no transactions) a record and the history event
// that explains it are two replacements of the store file. The tests below
// watch every replacement (inotify) while a command runs; if the file is
// ever seen with a version applied but no apply or mark-applied event for
// it, they kill the runner right there, as a lost machine would, and check
// what the history then says. Returns the version, or 0 when the command
// ended without the window ever being seen open.
int64_t KillInHistoryGap(const Workspace& ws, Process& run) {
  const int watch = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (watch < 0 || inotify_add_watch(watch, ws.dir().c_str(), IN_MOVED_TO | IN_CLOSE_WRITE) < 0)
    throw std::runtime_error("inotify failed");
  int64_t gap_version = 0;
  const auto deadline = Clock::now() + milliseconds(60000);
  while (gap_version == 0 && !run.Ended() && Clock::now() < deadline) {
    pollfd ready{watch, POLLIN, 0};
    if (poll(&ready, 1, 50) <= 0) continue;
    alignas(inotify_event) char buffer[4096];
    const ssize_t got = read(watch, buffer, sizeof(buffer));
    bool store_replaced = false;
    for (ssize_t at = 0; at < got;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
      store_replaced |= event->len > 0 && std::string(event->name) == "versions.json";
      at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
    }
    if (store_replaced && AppliedWithoutEvent(ReadFile(ws.dir() / "versions.json"), &gap_version)) run.KillGroup();
  }
  close(watch);
  return gap_version;
}

// After a kill in the gap: does the history still explain the applied record?
void ExpectHistoryExplains(const Workspace& ws, int64_t version, const std::string& writer) {
  EXPECT_EQ(ws.States()[version], "applied");
  bool explained = false;
  for (const HistoryEvent& event : ws.History())
    explained |= (event.kind == "apply" || event.kind == "mark-applied") && event.version == version;
  EXPECT_TRUE(explained) << "version " << version << " is recorded applied, but after a kill between the two "
                         << "writes the history has no event saying how (" << writer
                         << " writes the record, then the event, on a store without transactions)";
}

// A run's step: its applied record and its apply event.
TEST(HistoryGapTest, JsonFileKillBetweenRecordAndEvent) {
  Workspace ws(StoreKind::kJsonFile);
  ws.AddPlugin(LM_SAFETY_PLUGIN_LEDGER_1_13);
  Process run = ws.Start({"up"});
  if (const int64_t version = KillInHistoryGap(ws, run); version != 0) {
    ExpectHistoryExplains(ws, version, "runner/src/executor.cc Executor::RecordSuccess");
  } else {
    ProcessResult result = run.Wait(milliseconds(60000));
    EXPECT_TRUE(result.exited(0)) << result.Describe();
  }
}

// mark-applied after a human checked: the record and the mark-applied event,
// the audit trail docs/operations.md promises ("recorded in the history
// with who and when").
TEST(HistoryGapTest, JsonFileKillDuringMarkApplied) {
  Workspace ws(StoreKind::kJsonFile);
  ws.AddPlugin(LM_SAFETY_PLUGIN_LEDGER_1_13);
  Process mark = ws.Start({"mark-applied", "7"});
  if (const int64_t version = KillInHistoryGap(ws, mark); version != 0) {
    ExpectHistoryExplains(ws, version, "runner/src/engine_recovery.cc Engine::Mark");
  } else {
    ProcessResult result = mark.Wait(milliseconds(60000));
    EXPECT_TRUE(result.exited(0)) << result.Describe();
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, CrashTortureTest,
                         testing::Values(StoreKind::kSqlite, StoreKind::kJsonFile, StoreKind::kPostgresAdvisory,
                                         StoreKind::kPostgresLease),
                         [](const testing::TestParamInfo<StoreKind>& info) { return StoreKindName(info.param); });

}  // namespace
}  // namespace lm::safety
