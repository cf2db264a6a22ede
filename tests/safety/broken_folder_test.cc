// A broken plugin file in the migrations folder:
//  - a plugin whose static initialiser throws or segfaults stops `up`
//    before any step (exit 4, the file named, nothing applied), with or
//    without --group;
//  - a file that is not a whole plugin (text, a zeroed tail, truncated,
//    garbage after the ELF headers) does not stop the reads: current,
//    -v and history show the store; status shows it and names the file
//    (exit 4); validate reports it as drift of its own kind (exit 8); up
//    refuses (exit 4) and changes nothing. No command dies of a signal.
// And --load-first / "load_plugins" still work, with a note that they are
// no longer needed.
#include <gtest/gtest.h>

#include <regex>
#include <tuple>

#include "plugins/broken_files.h"
#include "safety_env.h"

namespace lm::safety {
namespace {

// A command that ran to its end by itself: no signal, no deadline.
void ExpectNoSignal(const ProcessResult& result, const std::string& command) {
  EXPECT_EQ(result.signal, 0) << command << ": " << result.Describe();
  EXPECT_FALSE(result.timed_out) << command << ": " << result.Describe();
}

bool Names(const ProcessResult& result, const std::string& file) {
  return result.out.find(file) != std::string::npos || result.err.find(file) != std::string::npos;
}

// --- every plugin checked before the target is touched ----------------------

struct LoadFailure {
  const char* name;
  const char* plugin;
};

void PrintTo(const LoadFailure& failure, std::ostream* out) { *out << failure.name; }

const LoadFailure kThrows{"throws", LM_SAFETY_PLUGIN_LOAD_FAIL_THROW};
const LoadFailure kSegv{"segv", LM_SAFETY_PLUGIN_LOAD_FAIL_SEGV};

class CheckedBeforeRunTest : public testing::TestWithParam<std::tuple<LoadFailure, bool>> {
 protected:
  const LoadFailure& failure() const { return std::get<0>(GetParam()); }
  bool group() const { return std::get<1>(GetParam()); }
};

TEST_P(CheckedBeforeRunTest, NothingRunsWhenAPluginFailsToLoad) {
  Workspace ws(StoreKind::kSqlite);
  ws.AddPlugin(LM_SAFETY_PLUGIN_ORDINARY_1, "001_one.so");
  ws.AddPlugin(LM_SAFETY_PLUGIN_ORDINARY_2, "002_two.so");
  ws.AddPlugin(failure().plugin, "003_load_fail.so");

  std::vector<std::string> up = {"up", "--lock-timeout", "10000"};
  if (group()) up.push_back("--group");
  ProcessResult run = ws.Cli(up, milliseconds(30000));
  ExpectNoSignal(run, "up");
  EXPECT_TRUE(run.exited(4)) << run.Describe();
  EXPECT_NE(run.err.find("003_load_fail.so"), std::string::npos) << run.Describe();
  EXPECT_EQ(run.out.find("applying"), std::string::npos) << "a step ran\n" << run.out;

  EXPECT_EQ(ws.Current(), 0);
  EXPECT_EQ(ws.Ledger(), std::vector<int64_t>());
  for (const auto& [version, state] : ws.States()) EXPECT_NE(state, "applied") << "version " << version;
  for (const HistoryEvent& event : ws.History()) EXPECT_NE(event.kind, "apply") << event.line;
}

INSTANTIATE_TEST_SUITE_P(Kinds, CheckedBeforeRunTest,
                         testing::Combine(testing::Values(kThrows, kSegv), testing::Bool()),
                         [](const testing::TestParamInfo<std::tuple<LoadFailure, bool>>& info) {
                           return std::string(std::get<0>(info.param).name) +
                                  (std::get<1>(info.param) ? "_group" : "_one_by_one");
                         });

// --- reads survive a broken folder ------------------------------------------

enum class Breakage { kText, kZeroTail, kTruncated, kGarbageAfterHeaders };

std::string BreakageName(Breakage breakage) {
  switch (breakage) {
    case Breakage::kText:
      return "text";
    case Breakage::kZeroTail:
      return "zero_filled_tail";
    case Breakage::kTruncated:
      return "truncated";
    case Breakage::kGarbageAfterHeaders:
      return "garbage_after_elf_headers";
  }
  return "?";
}

void PrintTo(Breakage breakage, std::ostream* out) { *out << BreakageName(breakage); }

// The bytes of a broken x.so, made from a real plugin (version 9, which the
// folder has nowhere else).
std::string BrokenPlugin(Breakage breakage) {
  const std::string bytes = ReadFile(LM_SAFETY_PLUGIN_ORDINARY_9);
  switch (breakage) {
    case Breakage::kText:
      return "This is not a shared library.\nJust a note someone saved as x.so.\n";
    case Breakage::kZeroTail:
      return lm_test::broken::ZeroFilledTail(bytes);
    case Breakage::kTruncated:
      return lm_test::broken::Truncated(bytes);
    case Breakage::kGarbageAfterHeaders:
      return lm_test::broken::GarbageAfterHeaders(bytes);
  }
  return bytes;
}

class BrokenFolderTest : public testing::TestWithParam<Breakage> {};

TEST_P(BrokenFolderTest, ReadsShowTheStoreAndNameTheFile) {
  Workspace ws(StoreKind::kSqlite);
  ws.AddPlugin(LM_SAFETY_PLUGIN_ORDINARY_1, "001_one.so");
  ws.AddPlugin(LM_SAFETY_PLUGIN_ORDINARY_2, "002_two.so");
  ProcessResult applied = ws.Cli({"up", "--lock-timeout", "10000"});
  ASSERT_TRUE(applied.exited(0)) << applied.Describe();
  ASSERT_EQ(ws.Current(), 2);
  const std::vector<HistoryEvent> history_before = ws.History();
  // A pending version beside the broken file: up must not apply it.
  ws.AddPlugin(LM_SAFETY_PLUGIN_ORDINARY_3, "003_three.so");
  WriteFile(ws.migrations() / "x.so", BrokenPlugin(GetParam()));

  for (const char* command : {"current", "-v"}) {
    ProcessResult current = ws.Cli({command});
    ExpectNoSignal(current, command);
    EXPECT_TRUE(current.exited(0)) << command << ": " << current.Describe();
    EXPECT_EQ(current.out, "2\n") << command << ": " << current.Describe();
  }

  ProcessResult history = ws.Cli({"history"});
  ExpectNoSignal(history, "history");
  EXPECT_TRUE(history.exited(0)) << history.Describe();
  EXPECT_EQ(LinesWith(history.out, " apply ").size(), 2u) << history.Describe();

  ProcessResult status = ws.Cli({"status"});
  ExpectNoSignal(status, "status");
  EXPECT_TRUE(status.exited(4)) << status.Describe();
  EXPECT_TRUE(Names(status, "x.so")) << status.Describe();
  EXPECT_TRUE(std::regex_search(status.out, std::regex(R"((^|\n)\s*1\s+applied\b)"))) << status.Describe();
  EXPECT_TRUE(std::regex_search(status.out, std::regex(R"((^|\n)\s*2\s+applied\b)"))) << status.Describe();

  ProcessResult validate = ws.Cli({"validate"});
  ExpectNoSignal(validate, "validate");
  EXPECT_TRUE(validate.exited(8)) << validate.Describe();
  EXPECT_TRUE(Names(validate, "x.so")) << validate.Describe();

  // In JSON: one drift naming the file, of a kind of its own.
  ProcessResult validate_json = ws.Cli({"validate", "--output", "json"});
  ExpectNoSignal(validate_json, "validate --output json");
  EXPECT_TRUE(validate_json.exited(8)) << validate_json.Describe();
  const nlohmann::json document = nlohmann::json::parse(validate_json.out, nullptr, /*allow_exceptions=*/false);
  std::vector<std::string> kinds;
  if (document.is_object() && document.contains("drift") && document["drift"].is_array()) {
    for (const nlohmann::json& drift : document["drift"])
      if (drift.value("message", std::string()).find("x.so") != std::string::npos)
        kinds.push_back(drift.value("kind", std::string()));
  }
  ASSERT_EQ(kinds.size(), 1u) << validate_json.Describe();
  for (const char* other : {"checksum-changed", "missing", "out-of-order", ""}) EXPECT_NE(kinds[0], other);

  ProcessResult up = ws.Cli({"up", "--lock-timeout", "10000"});
  ExpectNoSignal(up, "up");
  EXPECT_TRUE(up.exited(4)) << up.Describe();
  EXPECT_NE(up.err.find("x.so"), std::string::npos) << up.Describe();
  EXPECT_EQ(ws.Ledger(), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(ws.History().size(), history_before.size());
  EXPECT_EQ(ws.Current(), 2);
}

INSTANTIATE_TEST_SUITE_P(Breakages, BrokenFolderTest,
                         testing::Values(Breakage::kText, Breakage::kZeroTail, Breakage::kTruncated,
                                         Breakage::kGarbageAfterHeaders),
                         [](const testing::TestParamInfo<Breakage>& info) { return BreakageName(info.param); });

// --- --load-first and "load_plugins": accepted, and said to be unneeded -----

struct LoadOption {
  const char* name;
  const char* flag;          // on the command line, or null
  const char* load_plugins;  // in the config, or null
  const char* mentioned;     // what the note names
};

void PrintTo(const LoadOption& option, std::ostream* out) { *out << option.name; }

class LoadOptionTest : public testing::TestWithParam<LoadOption> {};

TEST_P(LoadOptionTest, AcceptedWithANote) {
  Workspace ws(StoreKind::kSqlite);
  ws.AddPlugin(LM_SAFETY_PLUGIN_ORDINARY_1, "001_one.so");
  ws.AddPlugin(LM_SAFETY_PLUGIN_ORDINARY_2, "002_two.so");
  if (GetParam().load_plugins != nullptr) {
    const std::filesystem::path config = ws.dir() / "conf.json";
    nlohmann::json document = nlohmann::json::parse(ReadFile(config));
    document["load_plugins"] = GetParam().load_plugins;
    WriteFile(config, document.dump(2) + "\n");
  }
  std::vector<std::string> up = {"up", "--lock-timeout", "10000"};
  if (GetParam().flag != nullptr) up.push_back(GetParam().flag);

  ProcessResult run = ws.Cli(up);
  EXPECT_TRUE(run.exited(0)) << run.Describe();
  EXPECT_EQ(ws.Ledger(), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(ws.Current(), 2);
  const std::vector<std::string> notes = LinesWith(run.out + run.err, GetParam().mentioned);
  ASSERT_EQ(notes.size(), 1u) << run.Describe();
  EXPECT_NE(notes[0].find("no longer"), std::string::npos) << notes[0];
}

INSTANTIATE_TEST_SUITE_P(Options, LoadOptionTest,
                         testing::Values(LoadOption{"flag", "--load-first", nullptr, "--load-first"},
                                         LoadOption{"config_first", nullptr, "first", "load_plugins"},
                                         LoadOption{"config_while_running", nullptr, "while-running", "load_plugins"}),
                         [](const testing::TestParamInfo<LoadOption>& info) { return info.param.name; });

}  // namespace
}  // namespace lm::safety
