// The worker -> supervisor relay: the message format (relay_format.h) and
// the replayer reading the report pipe (worker_relay.h). A report cut off or
// corrupted, as a worker dying mid-write leaves it, is dropped, never
// half-reported.
#include <fcntl.h>
#include <sys/mman.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <initializer_list>
#include <string>
#include <string_view>

#include "catalog/catalog.h"
#include "catalog/discovery.h"
#include "engine_fixture.h"
#include "base/relay_format.h"
#include "run/worker_relay.h"

namespace {

using lm::relay::MessageReader;
using lm::relay::MessageWriter;

// A report line by hand, without its newline: the type and fields, each
// followed by a separator (the last one closes it).
std::string Report(std::initializer_list<std::string_view> fields) {
  std::string line;
  for (std::string_view field : fields) line.append(field).push_back(lm::relay::kFieldSeparator);
  return line;
}

// A finished line without its newline.
std::string Payload(const std::string& line) { return line.substr(0, line.size() - 1); }

TEST(RelayFormat, TextsAndIntsRoundTrip) {
  const std::string texts[] = {"", "plain", "two\nlines", "back\\slash", "sep\x1fin", "\\n not a newline",
                               std::string("nul\0byte", 8), "\xff\xfe not UTF-8", "end\\"};
  MessageWriter writer;
  writer.Start('T');
  for (const std::string& text : texts) writer.Text(text);
  writer.Int(-9223372036854775807 - 1);
  writer.Int(0);
  writer.Int(9223372036854775807);
  const std::string line = writer.Finish();
  EXPECT_EQ(line.front(), 'T');
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
  writer.Start('A');
  writer.Text("first");
  writer.Finish();
  writer.Start('B');
  writer.Int(7);
  EXPECT_EQ(writer.Finish(), "B\x1f" "7\x1f\n");
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
    ASSERT_TRUE(lm::LoadCatalog({{lm_test::plugin::kLedger1, false}, {lm_test::plugin::kIrreversible, false}}, lm::TrustPolicy{},
                                lm::BundlePolicy{}, &catalog_)
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
      lm::RelayReporter relay(pipe_fds[1], -1);
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

  lm::Plan PlanOf(const std::vector<int64_t>& versions) {
    lm::Plan plan;
    for (int64_t version : versions) plan.steps.push_back(Step(version));
    return plan;
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

// A step's output file, written as a step would, read by the replayer up to
// where the reports say it reached: it is shown in the order it came among
// the logged lines, and a line without its end is ended by the next report.
TEST_F(RelayReplayTest, OutputAndLogLinesAroundReports) {
  const int output = memfd_create("step-output", MFD_CLOEXEC);
  ASSERT_GE(output, 0);
  lm::RelayReplayer replayer(catalog_, reporter_, output);
  Replay(replayer, Relayed([&](lm::RelayReporter& relay) {
    relay.PlanReady("sqlite", PlanOf({1}), false);
    relay.StepStarted(Step(1), 1, 1);
  }));
  const std::string printed = "printed\nno newline yet";
  ASSERT_EQ(write(output, printed.data(), printed.size()), static_cast<ssize_t>(printed.size()));
  replayer.Replay(Report({"R", std::to_string(printed.size())}));
  replayer.Replay(Report({"L", "2", "logged at info"}));
  const std::string more = "after the log\nat the end";
  ASSERT_EQ(write(output, more.data(), more.size()), static_cast<ssize_t>(more.size()));
  replayer.ShowOutputUpTo(printed.size() + more.size());
  replayer.Replay(Report({"R", "3"}));  // an end already shown shows nothing again
  replayer.EndOutputLine();
  close(output);
  EXPECT_EQ(reporter_.LinesOf(1), (std::vector<std::string>{"output: printed", "output: no newline yet",
                                                            "info: logged at info", "output: after the log",
                                                            "output: at the end"}));
}

// Before each report the worker says where the output file ends, when it
// grew: what a step printed before a report is shown ahead of it.
TEST_F(RelayReplayTest, AReportSaysWhereTheOutputReached) {
  const int output = memfd_create("step-output", MFD_CLOEXEC);
  ASSERT_GE(output, 0);
  int reports[2];
  ASSERT_EQ(pipe(reports), 0);
  {
    lm::RelayReporter relay(reports[1], output);
    ASSERT_EQ(write(output, "printed first\n", 14), 14);
    relay.StepLine(lm::LineKind::kInfo, "logged second");
    relay.StepLine(lm::LineKind::kInfo, "logged third");
  }
  close(reports[1]);
  std::string sent;
  char buffer[4096];
  for (ssize_t got; (got = read(reports[0], buffer, sizeof(buffer))) > 0;) sent.append(buffer, got);
  close(reports[0]);
  close(output);
  EXPECT_EQ(sent, Report({"R", "14"}) + "\n" + Report({"L", "2", "logged second"}) + "\n" +
                      Report({"L", "2", "logged third"}) + "\n");
}

// A worker that dies while writing leaves a report cut off anywhere; the
// step it started stays the running one (the supervisor records its death),
// and nothing half-read reaches the reporter.
TEST_F(RelayReplayTest, AReportCutOffAnywhereIsDropped) {
  const std::string started = Relayed([&](lm::RelayReporter& relay) {
    relay.PlanReady("sqlite", PlanOf({1}), false);
    relay.StepStarted(Step(1), 1, 1);
  });
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
      "",
      Report({"?"}),
      not_closed,
      Report({"S", "1", "7", "0", "1", "1"}),            // direction 7
      Report({"S", "1", "0", "99999999999", "1", "1"}),  // attempts beyond int32
      Report({"S", "1", "0", "0", "1", "1", "extra"}),   // a field too many
      Report({"L", "9", "kind 9"}),                      // no such line kind
      Report({"X", "-1", "negative exit code"}),
      Report({"P", "sqlite", "0", "5", "0", "-3"}),          // a negative step count
      Report({"P", "sqlite", "0", "5", "0", "1000000000"}),  // more steps than sent
      "{\"t\":\"start\",\"step\":[1,\"up\",0],\"i\":1,\"n\":1}",  // the old JSON
      Report({"S", "1", "0", "0", "1", "1"}),  // a start before any plan
  };


  for (const std::string& line : corrupt) replayer.Replay(line);
  EXPECT_TRUE(reporter_.steps.empty());
  EXPECT_TRUE(reporter_.warnings.empty());
  EXPECT_FALSE(reporter_.store_name);
  EXPECT_FALSE(replayer.running_step());
  EXPECT_FALSE(replayer.final_status());
}

// The worker plans from a copy of this catalog: a plan naming a version the
// catalog does not know cannot be the worker's, and is dropped whole, so the
// reporter is never handed a step with no migration.
TEST_F(RelayReplayTest, APlanNamingAnUnknownVersionIsDropped) {
  lm::RelayReplayer replayer(catalog_, reporter_);
  replayer.Replay(Report({"P", "sqlite", "0", "404", "0", "2", "1", "0", "0", "", "", "", "404", "0", "0", "", "", ""}));
  EXPECT_FALSE(reporter_.store_name);
  EXPECT_TRUE(reporter_.planned.empty());
}

// The worker sends one plan. A second is dropped: it would also free the
// texts of the first, which the running step points to.
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

// A start naming a version outside the plan is dropped: the running step is
// always one the plan names.
TEST_F(RelayReplayTest, AStartOutsideThePlanIsDropped) {
  lm::RelayReplayer replayer(catalog_, reporter_);
  Replay(replayer, Relayed([&](lm::RelayReporter& relay) { relay.PlanReady("sqlite", PlanOf({1}), false); }));
  replayer.Replay(Report({"S", "5", "0", "0", "1", "1"}));
  replayer.Replay(Report({"S", "404", "0", "0", "1", "1"}));
  EXPECT_FALSE(replayer.running_step());
  EXPECT_TRUE(reporter_.steps.empty());
}

}  // namespace
