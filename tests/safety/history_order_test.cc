// On a store without transactions (json-file) a command that changes a
// record makes two writes: the history event that explains the change, and
// the record. When the second write fails, the history must already explain
// what the store then says: it may say more than the records, never less.
//
// The failure is made exact, not timed: the json-file store writes each
// change to `.versions.json.<pid>.<n>.tmp` (n counting its writes, 0 being
// the create-if-missing at open; docs/stores.md) with O_EXCL, so a file put
// at that name before the runner starts makes its write number n fail.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "safety_env.h"

namespace lm::safety {
namespace {

// Runs `args` with the store's write number `failing_write` (1 = the first
// change) failing, and returns how it ended.
ProcessResult RunWithFailingWrite(const Workspace& ws, const std::vector<std::string>& args, int failing_write) {
  StartGate gate;
  Process run = ws.Start(args, gate.Options());
  const auto blocker = ws.dir() / (".versions.json." + std::to_string(run.pid()) + "." +
                                   std::to_string(failing_write) + ".tmp");
  std::ofstream(blocker) << "taken\n";
  gate.Release();
  ProcessResult result = run.Wait(milliseconds(60000));
  std::filesystem::remove(blocker);
  return result;
}

nlohmann::json StoreFile(const Workspace& ws) {
  return nlohmann::json::parse(ReadFile(ws.dir() / "versions.json"));
}

// The events of `kind` for `version`, from the store file itself.
int EventsOf(const nlohmann::json& store, const std::string& kind, int64_t version) {
  int count = 0;
  for (const nlohmann::json& event : store["events"])
    count += event.value("kind", "") == kind && event.value("version", int64_t{0}) == version;
  return count;
}

const nlohmann::json* RecordOf(const nlohmann::json& store, int64_t version) {
  for (const nlohmann::json& record : store["records"])
    if (record.value("version", int64_t{0}) == version) return &record;
  return nullptr;
}

// Exit 5 (store), one line naming the version and the file that could not be written.
void ExpectFailedWriteNamed(const ProcessResult& result, const Workspace& ws, int64_t version) {
  EXPECT_TRUE(result.exited(5)) << result.Describe();
  EXPECT_NE(result.err.find("could not record version " + std::to_string(version) + ": "), std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find((ws.dir() / ".versions.json.").string()), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find('\n'), result.err.size() - 1) << "one line: " << result.err;
}

TEST(HistoryOrderTest, BaselineWhoseRecordCannotBeWrittenLeavesItsEvent) {
  Workspace ws(StoreKind::kJsonFile);
  ws.AddPlugin(LM_SAFETY_PLUGIN_LEDGER_1_13);

  // Write 1 is version 1's first half, write 2 its second.
  ProcessResult failed = RunWithFailingWrite(ws, {"baseline", "3"}, 2);
  ExpectFailedWriteNamed(failed, ws, 1);
  const nlohmann::json store = StoreFile(ws);
  EXPECT_EQ(EventsOf(store, "baseline", 1), 1) << store.dump();
  EXPECT_EQ(RecordOf(store, 1), nullptr) << "version 1 is recorded applied, but the history has no baseline event "
                                            "for it: the record was written before the event";
  EXPECT_TRUE(ws.Ledger().empty()) << "baseline runs nothing";

  // Nothing is recorded, so baseline may simply run again.
  ProcessResult again = ws.Cli({"baseline", "3"});
  ASSERT_TRUE(again.exited(0)) << again.Describe();
  const std::map<int64_t, std::string> states = ws.States();
  for (int64_t version = 1; version <= 3; ++version) EXPECT_EQ(states.at(version), "applied") << version;
  EXPECT_EQ(states.at(4), "pending");
}

TEST(HistoryOrderTest, RepairWhoseRecordCannotBeWrittenLeavesTheDriftReported) {
  Workspace ws(StoreKind::kJsonFile);
  ws.AddPlugin(LM_SAFETY_PLUGIN_DRIFT_10, "010_drift.so");
  ws.AddPlugin(LM_SAFETY_PLUGIN_DRIFT_20, "020_drift.so");
  ProcessResult up = ws.Cli({"up"});
  ASSERT_TRUE(up.exited(0)) << up.Describe();
  const nlohmann::json applied = StoreFile(ws);
  ASSERT_NE(RecordOf(applied, 20), nullptr) << applied.dump();
  const std::string applied_checksum = RecordOf(applied, 20)->value("checksum", "");
  ws.AddPlugin(LM_SAFETY_PLUGIN_DRIFT_20_CHANGED, "020_drift.so");

  ProcessResult failed = RunWithFailingWrite(ws, {"repair"}, 2);
  ExpectFailedWriteNamed(failed, ws, 20);
  const nlohmann::json store = StoreFile(ws);
  EXPECT_EQ(EventsOf(store, "repair", 20), 1) << store.dump();
  ASSERT_NE(RecordOf(store, 20), nullptr) << "a failed repair must not remove the record: " << store.dump();
  EXPECT_EQ(RecordOf(store, 20)->value("checksum", ""), applied_checksum)
      << "version 20 carries the new checksum, but the history has no repair event for it: the record was "
         "written before the event";
  ProcessResult validate = ws.Cli({"validate"});
  EXPECT_TRUE(validate.exited(8)) << "the unrepaired change is still reported: " << validate.Describe();

  ProcessResult repair = ws.Cli({"repair"});
  ASSERT_TRUE(repair.exited(0)) << repair.Describe();
  EXPECT_TRUE(ws.Cli({"validate"}).exited(0));
  EXPECT_EQ(EventsOf(StoreFile(ws), "repair", 20), 2) << "the failed attempt's event stays in the history";
}

}  // namespace
}  // namespace lm::safety
