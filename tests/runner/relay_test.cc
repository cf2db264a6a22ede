// The worker -> supervisor relay: the report format (relay_format.h) and the
// replayer reading it (worker_relay.h). A report cut off or corrupted, as a
// worker dying mid-write leaves it, is dropped, never half-reported.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <initializer_list>
#include <string>
#include <string_view>

#include "catalog/catalog.h"
#include "catalog/discovery.h"
#include "engine_fixture.h"
#include "run/relay_format.h"
#include "run/step_context.h"
#include "run/worker_relay.h"

namespace {

using lm::relay::MessageReader;
using lm::relay::MessageWriter;

// A report line by hand, without its newline: the marker, the type and
// fields, each followed by a separator (the last one closes it).
std::string Report(std::initializer_list<std::string_view> fields) {
  std::string line(1, lm::kReportMarker);
  for (std::string_view field : fields) line.append(field).push_back(lm::relay::kFieldSeparator);
  return line;
}

// The payload of a finished line: without the marker and the newline.
std::string Payload(const std::string& line) { return line.substr(1, line.size() - 2); }

TEST(RelayFormat, TextsAndIntsRoundTrip) {
  const std::string texts[] = {"", "plain", "two\nlines", "back\\slash", "sep\x1fin", "\\n not a newline",
                               std::string("nul\0byte", 8), "\xff\xfe not UTF-8", "end\\"};
  MessageWriter writer;
  writer.Start(lm::kReportMarker, 'T');
  for (const std::string& text : texts) writer.Text(text);
  writer.Int(-9223372036854775807 - 1);
  writer.Int(0);
  writer.Int(9223372036854775807);
  const std::string line = writer.Finish();
  EXPECT_EQ(line.front(), lm::kReportMarker);
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "a field holds a newline";

  const std::string payload = Payload(line);  // the reader reads it in place
  MessageReader reader(payload);
  EXPECT_EQ(reader.type(), 'T');
  std::string text;
  for (const std::string& expected : texts) {
    ASSERT_TRUE(reader.Text(&text)) << "reading " << expected;
    EXPECT_EQ(text, expected);
  }
  int64_t value = 1;
  ASSERT_TRUE(reader.Int(&value));
  EXPECT_EQ(value, -9223372036854775807 - 1);
  ASSERT_TRUE(reader.Int(&value));
  EXPECT_EQ(value, 0);
  ASSERT_TRUE(reader.Int(&value));
  EXPECT_EQ(value, 9223372036854775807);
  EXPECT_TRUE(reader.Done());
}

TEST(RelayFormat, WriterReusesItsBufferForANewLine) {
  MessageWriter writer;
  writer.Start(lm::kReportMarker, 'A');
  writer.Text("first");
  writer.Finish();
  writer.Start(lm::kReportMarker, 'B');
  writer.Int(7);
  EXPECT_EQ(writer.Finish(), "\x1d" "B\x1f" "7\x1f\n");
}

TEST(RelayFormat, MalformedFieldsFailAndStayFailed) {
  int64_t value = 0;
  std::string text;
  {
    MessageReader reader("");
    EXPECT_EQ(reader.type(), '\0');
    EXPECT_FALSE(reader.Int(&value));
  }
  for (std::string_view bad_int : {"S\x1f", "S\x1f" "12x", "S\x1f" "x", "S\x1f" "99999999999999999999", "S12"}) {
    MessageReader reader(bad_int);
    EXPECT_FALSE(reader.Int(&value)) << bad_int;
    EXPECT_FALSE(reader.Done());
  }
  for (std::string_view bad_text : {"S", "S\x1f" "cut\\", "S\x1f" "bad\\q"}) {
    MessageReader reader(bad_text);
    EXPECT_FALSE(reader.Text(&text)) << bad_text;
  }
  MessageReader reader("S\x1f" "x\x1f" "5");
  EXPECT_FALSE(reader.Int(&value));
  EXPECT_FALSE(reader.Int(&value)) << "a reader that failed stays failed";
  MessageReader extra("S\x1f" "5\x1f" "6");
  ASSERT_TRUE(extra.Int(&value));
  EXPECT_FALSE(extra.Done()) << "a field left over";
}

class RelayReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // No metadata cache: these are the build tree's plugins, not a test's copies.
    ASSERT_TRUE(lm::LoadCatalog({{lm_test::plugin::kLedger1, false}, {lm_test::plugin::kIrreversible, false}}, lm::TrustPolicy{},
                                lm::BundlePolicy{}, lm::MetaCacheOptions{}, &catalog_)
                    .ok());
    ASSERT_NE(catalog_.Find(1), nullptr);
    ASSERT_NE(catalog_.Find(5), nullptr);
  }

  // What a worker's RelayReporter wrote for `report`, read back whole.
  template <class Report>
  std::string Relayed(Report report) {
    int pipe_fds[2];
    EXPECT_EQ(pipe(pipe_fds), 0);
    {
      lm::RelayReporter relay(pipe_fds[1]);
      report(relay);
    }
    close(pipe_fds[1]);
    std::string bytes;
    char buffer[4096];
    for (ssize_t got; (got = read(pipe_fds[0], buffer, sizeof(buffer))) > 0;) bytes.append(buffer, got);
    close(pipe_fds[0]);
    return bytes;
  }

  // Replays `bytes` line by line, as the supervisor does.
  void Replay(lm::RelayReplayer& replayer, std::string_view bytes) {
    for (size_t end; (end = bytes.find('\n')) != std::string_view::npos; bytes.remove_prefix(end + 1))
      replayer.Replay(bytes.substr(0, end));
    if (!bytes.empty()) replayer.Replay(bytes);
  }

  lm::PlannedStep Step(int64_t version, lm::Direction direction = lm::Direction::kUp, int32_t attempts = 0) {
    return lm::PlannedStep{catalog_.Find(version), direction, attempts};
  }

  lm::Catalog catalog_;
  lm_test::RecordingReporter reporter_;
};

TEST_F(RelayReplayTest, AWholeRunArrivesAsSent) {
  lm::Migration described = *catalog_.Find(5);
  described.description = "sent by the worker\nwith a line break";
  described.up_note = "up\x1fnote";
  described.down_note = "down \\ note";
  lm::Plan plan;
  plan.current_version = 0;
  plan.final_version = 5;
  plan.steps = {Step(1), lm::PlannedStep{&described, lm::Direction::kDown, 2}};
  const std::string bytes = Relayed([&](lm::RelayReporter& relay) {
    relay.Warning("careful\nnow");
    relay.PlanReady("sqlite", plan, true);
    relay.StepStarted(plan.steps[0], 1, 2);
    relay.StepLine(lm::LineKind::kWarning, "a relayed line");
    relay.StepFinished(plan.steps[0], lm::StepOutcome{true, 12, "", "/tmp/changes.csv"});
    relay.StepStarted(plan.steps[1], 2, 2);
    relay.StepFinished(plan.steps[1], lm::StepOutcome{false, 3, "it broke", ""});
    relay.Finished(lm::Status::Error(lm::ErrorKind::kMigrationFailed, "version 5 failed"));
  });

  // Which texts the reporter saw for the described step.
  struct TextReporter : lm_test::RecordingReporter {
    void PlanReady(const std::string& store, const lm::Plan& plan, bool dry) override {
      RecordingReporter::PlanReady(store, plan, dry);
      for (const lm::PlannedStep& step : plan.steps) {
        descriptions.push_back(step.migration->description);
        notes.push_back(step.migration->up_note + "|" + step.migration->down_note);
        attempts.push_back(step.previous_attempts);
      }
    }
    std::vector<std::string> descriptions, notes;
    std::vector<int32_t> attempts;
  } reporter;
  lm::RelayReplayer replayer(catalog_, reporter);
  Replay(replayer, bytes);

  EXPECT_EQ(reporter.warnings, std::vector<std::string>{"careful\nnow"});
  EXPECT_EQ(reporter.store_name, "sqlite");
  EXPECT_EQ(reporter.plan_current, 0);
  EXPECT_EQ(reporter.plan_final, 5);
  EXPECT_TRUE(reporter.dry_run);
  EXPECT_EQ(reporter.planned, (std::vector<std::string>{"up 1", "down 5"}));
  EXPECT_EQ(reporter.descriptions[1], "sent by the worker\nwith a line break");
  EXPECT_EQ(reporter.notes[1], "up\x1fnote|down \\ note");
  EXPECT_EQ(reporter.attempts, (std::vector<int32_t>{0, 2}));
  EXPECT_EQ(reporter.Started(), (std::vector<std::string>{"up 1", "down 5"}));
  EXPECT_EQ(reporter.LinesOf(1), std::vector<std::string>{"warning: a relayed line"});
  ASSERT_TRUE(reporter.steps[0].outcome);
  EXPECT_TRUE(reporter.steps[0].outcome->ok);
  EXPECT_EQ(reporter.steps[0].outcome->duration_ms, 12);
  EXPECT_EQ(reporter.steps[0].outcome->changelog_path, "/tmp/changes.csv");
  ASSERT_TRUE(reporter.steps[1].outcome);
  EXPECT_FALSE(reporter.steps[1].outcome->ok);
  EXPECT_EQ(reporter.steps[1].outcome->error, "it broke");
  EXPECT_FALSE(replayer.running_step());
  ASSERT_TRUE(replayer.final_status());
  EXPECT_EQ(replayer.final_status()->kind(), lm::ErrorKind::kMigrationFailed);
  EXPECT_EQ(replayer.final_status()->message(), "version 5 failed");
}

// A plugin loaded while steps run (AheadLoader) had no texts when the plan
// went out: they go with its step's start, and only for such steps.
TEST_F(RelayReplayTest, AStepLoadedAfterThePlanSendsItsTextsWithItsStart) {
  lm::Migration late = *catalog_.Find(5);
  ASSERT_FALSE(late.loaded());
  late.up_note.clear();
  late.description.clear();
  lm::Migration early = *catalog_.Find(1);
  early.description = "known with the plan";
  early.descriptor = reinterpret_cast<const lm_migration*>(&early);  // loaded: only its address is read
  lm::Plan plan;
  plan.final_version = 5;
  plan.steps = {lm::PlannedStep{&early, lm::Direction::kUp, 0}, lm::PlannedStep{&late, lm::Direction::kUp, 0}};
  const std::string bytes = Relayed([&](lm::RelayReporter& relay) {
    relay.PlanReady("sqlite", plan, false);
    relay.StepStarted(plan.steps[0], 1, 2);
    relay.StepFinished(plan.steps[0], lm::StepOutcome{true, 1, "", ""});
    late.description = "loaded after the plan";
    late.up_note = "note loaded after the plan";
    relay.StepStarted(plan.steps[1], 2, 2);
    relay.StepFinished(plan.steps[1], lm::StepOutcome{true, 1, "", ""});
  });
  const std::string description_report = std::string(1, lm::kReportMarker) + "D" + lm::relay::kFieldSeparator;
  size_t sent = 0;
  for (size_t at = bytes.find(description_report); at != std::string::npos; at = bytes.find(description_report, at + 1))
    ++sent;
  EXPECT_EQ(sent, 1u) << "only the step loaded after the plan sends its texts";

  struct StartReporter : lm_test::RecordingReporter {
    void StepStarted(const lm::PlannedStep& step, size_t index, size_t count) override {
      RecordingReporter::StepStarted(step, index, count);
      texts.push_back(step.migration->description + "|" + step.migration->up_note);
    }
    std::vector<std::string> texts;
  } reporter;
  lm::RelayReplayer replayer(catalog_, reporter);
  Replay(replayer, bytes);
  EXPECT_EQ(reporter.texts, (std::vector<std::string>{"known with the plan|",
                                                      "loaded after the plan|note loaded after the plan"}));

  // Before any plan, such a report is dropped.
  StartReporter before_plan;
  lm::RelayReplayer unplanned(catalog_, before_plan);
  unplanned.Replay(Report({"D", "5", "forged", "forged", ""}));
  unplanned.Replay(Report({"S", "5", "0", "0", "1", "1"}));
  EXPECT_EQ(before_plan.texts, std::vector<std::string>{"|"});
}

TEST_F(RelayReplayTest, OutputAndLogLinesAroundReports) {
  lm::RelayReplayer replayer(catalog_, reporter_);
  Replay(replayer, Relayed([&](lm::RelayReporter& relay) { relay.StepStarted(Step(1), 1, 1); }));
  // A step's partial line ahead of a report, a logged line, plain output.
  const std::string started = Relayed([&](lm::RelayReporter& relay) { relay.StepStarted(Step(1), 1, 1); });
  replayer.Replay("no newline yet" + started.substr(0, started.size() - 1));
  replayer.Replay("\x1e" "1logged at info");
  replayer.Replay("printed");
  EXPECT_EQ(reporter_.LinesOf(1), (std::vector<std::string>{"output: no newline yet", "info: logged at info",
                                                            "output: printed"}));
}

// A step that succeeded with another to follow is reported together with
// that step's start, in one write; the last step's report, and a failure,
// go out at once.
TEST_F(RelayReplayTest, ASuccessGoesOutWithTheNextStart) {
  int pipe_fds[2];
  ASSERT_EQ(pipe2(pipe_fds, O_NONBLOCK), 0);
  auto drain = [&] {
    std::string bytes;
    char buffer[4096];
    for (ssize_t got; (got = read(pipe_fds[0], buffer, sizeof(buffer))) > 0;) bytes.append(buffer, got);
    return bytes;
  };
  lm::RelayReplayer replayer(catalog_, reporter_);
  {
    lm::RelayReporter relay(pipe_fds[1]);
    relay.StepStarted(Step(1), 1, 2);
    Replay(replayer, drain());
    relay.StepFinished(Step(1), lm::StepOutcome{true, 1, "", ""});
    EXPECT_EQ(drain(), "") << "held for the next start";
    relay.StepStarted(Step(5), 2, 2);
    const std::string both = drain();
    EXPECT_EQ(std::count(both.begin(), both.end(), '\n'), 2);
    Replay(replayer, both);
    ASSERT_EQ(reporter_.steps.size(), 2u);
    ASSERT_TRUE(reporter_.steps[0].outcome);
    EXPECT_TRUE(reporter_.steps[0].outcome->ok);
    ASSERT_TRUE(replayer.running_step());
    EXPECT_EQ(replayer.running_step()->migration->version, 5);

    relay.StepFinished(Step(5), lm::StepOutcome{true, 1, "", ""});
    Replay(replayer, drain());
    EXPECT_TRUE(reporter_.steps[1].outcome) << "the last step's report is not held";
    EXPECT_FALSE(replayer.running_step());

    relay.StepStarted(Step(1), 1, 2);
    relay.StepFinished(Step(1), lm::StepOutcome{false, 1, "broke", ""});
    Replay(replayer, drain());
    ASSERT_EQ(reporter_.steps.size(), 3u);
    EXPECT_TRUE(reporter_.steps[2].outcome) << "a failure is not held";

    relay.StepStarted(Step(1), 1, 2);
    relay.StepFinished(Step(1), lm::StepOutcome{true, 1, "", ""});
    relay.Finished(lm::Status::Ok());
    Replay(replayer, drain());
    EXPECT_TRUE(reporter_.steps[3].outcome) << "a held report goes out with any report after it";
    EXPECT_TRUE(replayer.final_status());
  }
  close(pipe_fds[0]);
  close(pipe_fds[1]);
}

// A worker that dies while writing leaves a report cut off anywhere; the
// step it started stays the running one (the supervisor records its death),
// and nothing half-read reaches the reporter.
TEST_F(RelayReplayTest, AReportCutOffAnywhereIsDropped) {
  const std::string started = Relayed([&](lm::RelayReporter& relay) { relay.StepStarted(Step(1), 1, 1); });
  const std::string finished = Relayed([&](lm::RelayReporter& relay) {
    relay.StepFinished(Step(1), lm::StepOutcome{false, 12, "an error \\ with\nescapes", "/tmp/c.csv"});
  });
  for (size_t cut = 1; cut + 1 < finished.size(); ++cut) {
    lm_test::RecordingReporter reporter;
    lm::RelayReplayer replayer(catalog_, reporter);
    Replay(replayer, started);
    replayer.Replay(std::string_view(finished).substr(0, cut));
    ASSERT_TRUE(replayer.running_step()) << "cut at " << cut;
    EXPECT_EQ(replayer.running_step()->migration->version, 1);
    ASSERT_EQ(reporter.steps.size(), 1u);
    // Even a cut inside the last field, which leaves every field readable.
    EXPECT_FALSE(reporter.steps[0].outcome) << "cut at " << cut;
  }
  const std::string plan_bytes = Relayed([&](lm::RelayReporter& relay) {
    lm::Plan plan;
    plan.steps = {Step(1), Step(5)};
    relay.PlanReady("sqlite", plan, false);
  });
  for (size_t cut = 1; cut + 1 < plan_bytes.size(); ++cut) {
    lm_test::RecordingReporter reporter;
    lm::RelayReplayer replayer(catalog_, reporter);
    replayer.Replay(std::string_view(plan_bytes).substr(0, cut));
    EXPECT_FALSE(reporter.store_name) << "cut at " << cut;
  }
}

TEST_F(RelayReplayTest, CorruptReportsAreDroppedNotCrashedOn) {
  lm::RelayReplayer replayer(catalog_, reporter_);
  // Each closed, so only what it says is wrong with it.
  std::string not_closed = Report({"S", "1", "0", "0", "1", "1"});
  not_closed.pop_back();
  const std::string corrupt[] = {
      "\x1d",
      Report({"?"}),
      not_closed,
      Report({"S", "1", "7", "0", "1", "1"}),            // direction 7
      Report({"S", "1", "0", "99999999999", "1", "1"}),  // attempts beyond int32
      Report({"S", "1", "0", "0", "1", "1", "extra"}),   // a field too many
      Report({"L", "9", "kind 9"}),                      // no such line kind
      Report({"X", "-1", "negative exit code"}),
      Report({"P", "sqlite", "0", "5", "0", "-3"}),          // a negative step count
      Report({"P", "sqlite", "0", "5", "0", "1000000000"}),  // more steps than sent
      "\x1d{\"t\":\"start\",\"step\":[1,\"up\",0],\"i\":1,\"n\":1}",  // the old JSON
  };


  for (const std::string& line : corrupt) replayer.Replay(line);
  EXPECT_TRUE(reporter_.steps.empty());
  EXPECT_TRUE(reporter_.warnings.empty());
  EXPECT_FALSE(reporter_.store_name);
  EXPECT_FALSE(replayer.running_step());
  EXPECT_FALSE(replayer.final_status());
}

// A step's output can hold bytes that read as a report. A plan naming a
// version the catalog does not know cannot be the worker's: it is dropped
// whole, so the reporter is never handed a step with no migration.
TEST_F(RelayReplayTest, APlanNamingAnUnknownVersionIsDropped) {
  lm::RelayReplayer replayer(catalog_, reporter_);
  replayer.Replay(Report({"P", "sqlite", "0", "404", "0", "2", "1", "0", "0", "", "", "", "404", "0", "0", "", "", ""}));
  EXPECT_FALSE(reporter_.store_name);
  EXPECT_TRUE(reporter_.planned.empty());
}

// The worker sends one plan. A second (from a step's output) is dropped: it
// would also free the texts of the first, which the running step points to.
TEST_F(RelayReplayTest, ASecondPlanIsDropped) {
  lm::Migration described = *catalog_.Find(5);
  described.description = "as the worker read it";
  lm::Plan plan;
  plan.steps = {lm::PlannedStep{&described, lm::Direction::kUp, 0}};
  lm::RelayReplayer replayer(catalog_, reporter_);
  Replay(replayer, Relayed([&](lm::RelayReporter& relay) {
    relay.PlanReady("first", plan, false);
    relay.StepStarted(plan.steps[0], 1, 1);
  }));
  ASSERT_TRUE(replayer.running_step());
  ASSERT_EQ(replayer.running_step()->migration->description, "as the worker read it");

  replayer.Replay(Report({"P", "second", "0", "5", "0", "1", "5", "0", "0", "other text", "", ""}));
  EXPECT_EQ(reporter_.store_name, "first");
  ASSERT_TRUE(replayer.running_step());
  EXPECT_EQ(replayer.running_step()->migration->description, "as the worker read it");
}

// A version the supervisor's catalog does not know is running but not
// reported (there is nothing to name it by).
TEST_F(RelayReplayTest, UnknownVersionIsTrackedNotReported) {
  lm::RelayReplayer replayer(catalog_, reporter_);
  replayer.Replay(Report({"S", "404", "0", "0", "1", "1"}));
  ASSERT_TRUE(replayer.running_step());
  EXPECT_EQ(replayer.running_step()->migration, nullptr);
  EXPECT_TRUE(reporter_.steps.empty());
}

}  // namespace
