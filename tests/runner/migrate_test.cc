// Moving a target up and down: which steps run, in which order, and what
// the store and the reporter see.
#include "engine_fixture.h"

namespace lm_test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class MigrateTest : public EngineTest {
 protected:
  void SetUp() override {
    AddPlugins({plugin::kLedger1, plugin::kLedger2, plugin::kLedger3, plugin::kLedger4});
    UseSqlite();
  }
};

TEST_F(MigrateTest, UpAppliesEverythingOldestFirst) {
  LM_ASSERT_OK(Run(Up()));
  EXPECT_EQ(reporter_.store_name, "sqlite");
  EXPECT_EQ(reporter_.plan_current, 0);
  EXPECT_EQ(reporter_.plan_final, 4);
  EXPECT_THAT(reporter_.Started(), ElementsAre("up 1", "up 2", "up 3", "up 4"));
  for (const RecordedStep& step : reporter_.steps) {
    ASSERT_TRUE(step.outcome.has_value());
    EXPECT_TRUE(step.outcome->ok) << step.outcome->error;
  }
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(Applied(), (std::set<int64_t>{1, 2, 3, 4}));
}

TEST_F(MigrateTest, RecordsWhoAppliedWhat) {
  LM_ASSERT_OK(Run(Up(1)));
  std::optional<lm::Record> record = RecordOf(1);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->state, lm::VersionState::kApplied);
  EXPECT_EQ(record->name, "ledger_1");
  EXPECT_EQ(record->applied_by, "tester@testhost");
  EXPECT_EQ(record->applied_at, kPinnedTime);
  EXPECT_EQ(record->runner_version, lm::RunnerVersion());
  EXPECT_EQ(record->attempts, 1);
  EXPECT_THAT(record->checksum, ::testing::StartsWith("sha256:"));
  EXPECT_EQ(record->checksum.size(), 7u + 64u);
}

TEST_F(MigrateTest, UpTwiceHasNothingToDo) {
  LM_ASSERT_OK(Run(Up()));
  LM_ASSERT_OK(Run(Up()));
  EXPECT_EQ(reporter_.plan_current, 4);
  EXPECT_THAT(reporter_.planned, IsEmpty());
  EXPECT_THAT(reporter_.steps, IsEmpty());
}

TEST_F(MigrateTest, DownRevertsEverythingNewestFirst) {
  LM_ASSERT_OK(Run(Up()));
  LM_ASSERT_OK(Run(Down()));
  EXPECT_THAT(reporter_.Started(), ElementsAre("down 4", "down 3", "down 2", "down 1"));
  EXPECT_THAT(Ledger(), IsEmpty());
  EXPECT_THAT(Applied(), IsEmpty());
}

TEST_F(MigrateTest, UpStepsLimit) {
  LM_ASSERT_OK(Run(Up(2)));
  EXPECT_THAT(reporter_.Started(), ElementsAre("up 1", "up 2"));
  EXPECT_EQ(reporter_.plan_final, 2);
  LM_ASSERT_OK(Run(Up(1)));
  EXPECT_THAT(reporter_.Started(), ElementsAre("up 3"));
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1, 2, 3}));
}

TEST_F(MigrateTest, DownStepsLimit) {
  LM_ASSERT_OK(Run(Up()));
  LM_ASSERT_OK(Run(Down(1)));
  EXPECT_THAT(reporter_.Started(), ElementsAre("down 4"));
  LM_ASSERT_OK(Run(Down(2)));
  EXPECT_THAT(reporter_.Started(), ElementsAre("down 3", "down 2"));
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1}));
}

TEST_F(MigrateTest, ToGoesUpThenDown) {
  LM_ASSERT_OK(Run(To(3)));
  EXPECT_THAT(reporter_.Started(), ElementsAre("up 1", "up 2", "up 3"));
  LM_ASSERT_OK(Run(To(1)));
  EXPECT_THAT(reporter_.Started(), ElementsAre("down 3", "down 2"));
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1}));
  EXPECT_EQ(Applied(), (std::set<int64_t>{1}));
}

TEST_F(MigrateTest, ToZeroRevertsEverything) {
  LM_ASSERT_OK(Run(Up()));
  LM_ASSERT_OK(Run(To(0)));
  EXPECT_THAT(reporter_.Started(), ElementsAre("down 4", "down 3", "down 2", "down 1"));
  EXPECT_EQ(reporter_.plan_final, 0);
  EXPECT_THAT(Ledger(), IsEmpty());
}

TEST_F(MigrateTest, ToCurrentVersionHasNoSteps) {
  LM_ASSERT_OK(Run(To(2)));
  LM_ASSERT_OK(Run(To(2)));
  EXPECT_EQ(reporter_.plan_current, 2);
  EXPECT_EQ(reporter_.plan_final, 2);
  EXPECT_THAT(reporter_.steps, IsEmpty());
}

TEST_F(MigrateTest, ToUnknownVersionIsRefused) {
  lm::Status status = Run(To(7));
  EXPECT_EQ(status.kind(), lm::ErrorKind::kPlanRefused);
  EXPECT_THAT(status.message(), HasSubstr("unknown target version 7"));
  EXPECT_THAT(status.message(), HasSubstr("latest is 4"));
  EXPECT_THAT(Ledger(), IsEmpty());
}

TEST_F(MigrateTest, CurrentVersionFollowsTheStore) {
  int64_t version = -1;
  ASSERT_TRUE(Open().ok());
  LM_ASSERT_OK(engine_->GetCurrentVersion(&version));
  EXPECT_EQ(version, 0);
  LM_ASSERT_OK(Run(To(3)));
  LM_ASSERT_OK(engine_->GetCurrentVersion(&version));
  EXPECT_EQ(version, 3);
}

TEST_F(MigrateTest, StatusListsAppliedAndPending) {
  LM_ASSERT_OK(Run(Up(2)));
  lm::StatusReport report = Report();
  EXPECT_EQ(report.store_name, "sqlite");
  EXPECT_EQ(report.current_version, 2);
  ASSERT_EQ(report.versions.size(), 4u);
  EXPECT_NE(report.versions[1].record, nullptr);
  EXPECT_EQ(report.versions[2].record, nullptr);
  EXPECT_EQ(report.versions[3].migration->name, "ledger_4");
  EXPECT_THAT(report.warnings, IsEmpty());
}

TEST_F(MigrateTest, DryRunCreatesNothing) {
  const std::set<std::string> before = ListFiles(dir_.path());
  LM_ASSERT_OK(Run(DryRun(Up())));
  EXPECT_TRUE(reporter_.dry_run);
  EXPECT_THAT(reporter_.planned, ElementsAre("up 1", "up 2", "up 3", "up 4"));
  EXPECT_THAT(reporter_.steps, IsEmpty());
  EXPECT_FALSE(fs::exists(Database()));
  EXPECT_EQ(ListFiles(dir_.path()), before);
}

TEST_F(MigrateTest, DryRunDownChangesNothing) {
  LM_ASSERT_OK(Run(Up()));
  LM_ASSERT_OK(Run(DryRun(To(1))));
  EXPECT_THAT(reporter_.planned, ElementsAre("down 4", "down 3", "down 2"));
  EXPECT_THAT(reporter_.steps, IsEmpty());
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(Applied(), (std::set<int64_t>{1, 2, 3, 4}));
}

TEST_F(MigrateTest, BundleLibraryProvidesSeveralVersions) {
  AddPlugins({plugin::kBundle});
  LM_ASSERT_OK(Open());
  ASSERT_EQ(engine_->catalog().migrations().size(), 7u);
  EXPECT_EQ(engine_->catalog().Find(21)->file, engine_->catalog().Find(22)->file);
  LM_ASSERT_OK(Run(Up()));
  EXPECT_THAT(reporter_.Started(), ElementsAre("up 1", "up 2", "up 3", "up 4", "up 20", "up 21", "up 22"));
  LM_ASSERT_OK(Run(Down(2)));
  EXPECT_THAT(reporter_.Started(), ElementsAre("down 22", "down 21"));
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1, 2, 3, 4, 20}));
}

TEST_F(MigrateTest, IrreversibleRefusedBeforeAnythingRuns) {
  // 1..4, 5 (irreversible), then 20..22 above it: a naive runner would
  // revert 22, 21 and 20 before noticing 5.
  AddPlugins({plugin::kIrreversible, plugin::kBundle});
  LM_ASSERT_OK(Run(Up()));
  lm::Status status = Run(To(1));
  EXPECT_EQ(status.kind(), lm::ErrorKind::kPlanRefused);
  EXPECT_THAT(status.message(), HasSubstr("version 5 (irreversible_5) is irreversible"));
  EXPECT_THAT(reporter_.steps, IsEmpty());
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1, 2, 3, 4, 5, 20, 21, 22}));
  EXPECT_EQ(Applied(), (std::set<int64_t>{1, 2, 3, 4, 5, 20, 21, 22}));
}

TEST_F(MigrateTest, DownRefusesIrreversible) {
  AddPlugins({plugin::kIrreversible});
  LM_ASSERT_OK(Run(Up()));
  lm::Status status = Run(Down());
  EXPECT_EQ(status.kind(), lm::ErrorKind::kPlanRefused);
  EXPECT_THAT(status.message(), HasSubstr("version 5 (irreversible_5)"));
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1, 2, 3, 4, 5}));
}

TEST_F(MigrateTest, AppliedVersionWithoutPluginIsDrift) {
  LM_ASSERT_OK(Run(Up()));
  fs::remove(MigrationsDir() / plugin::kLedger4.filename());
  lm::Status status = Run(Down(1));
  EXPECT_EQ(status.kind(), lm::ErrorKind::kDrift);
  EXPECT_THAT(status.message(), HasSubstr("version 4 (ledger_4) is applied but no migration plugin provides it"));
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1, 2, 3, 4}));
}

TEST_F(MigrateTest, RevertingVersionWithoutPluginIsRefused) {
  LM_ASSERT_OK(Run(Up()));
  fs::remove(MigrationsDir() / plugin::kLedger4.filename());
  lm::MigrateRequest request = Down(1);
  request.validate = false;
  lm::Status status = Run(request);
  EXPECT_EQ(status.kind(), lm::ErrorKind::kPlanRefused);
  EXPECT_THAT(status.message(), HasSubstr("version 4 is applied but no migration plugin provides it: cannot revert it"));
  EXPECT_THAT(reporter_.steps, IsEmpty());
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1, 2, 3, 4}));
}

TEST_F(MigrateTest, ParamsReachMigrations) {
  AddPlugins({plugin::kParams});
  UseSqlite({{"greeting", "hello"}, {"count", 3}});
  LM_ASSERT_OK(Run(To(36)));
  EXPECT_THAT(reporter_.LinesOf(36), ElementsAre("info: greeting=\"hello\"", "info: count=3", "info: missing=(absent)",
                                                 "info: greeting string=hello", "info: quoted string=",
                                                 "info: all={\"count\":3,\"greeting\":\"hello\"}"));
}

// Context::param_string is "a string parameter without its JSON quotes":
// the string's value, escapes decoded.
TEST_F(MigrateTest, ParamStringDecodesEscapes) {
  AddPlugins({plugin::kParams});
  UseSqlite({{"quoted", "say \"hi\" to C:\\temp"}});
  LM_ASSERT_OK(Run(To(36)));
  EXPECT_THAT(reporter_.LinesOf(36), ::testing::Contains("info: quoted string=say \"hi\" to C:\\temp"));
}

TEST_F(MigrateTest, CapturedOutputKeepsOrder) {
  AddPlugins({plugin::kOutput});
  LM_ASSERT_OK(Run(To(34)));
  EXPECT_THAT(reporter_.LinesOf(34),
              ElementsAre("output: printf line 1", "info: info line 2", "output: cout line 3", "warning: warn line 4",
                          "output: stderr line 5", "debug: debug line 6", "output: printf line 7",
                          "output: cout line 8", "error: error line 9", "output: printf line 10 without newline"));
}

// The changelog's name for a step of the run that wrote `record`.
fs::path ChangelogOf(const fs::path& dir, const std::string& direction, const std::string& run_id, int attempt = 1) {
  return dir / "changelogs" /
         ("35_changelog_35_" + direction + "_" + kPinnedCompactTime + "_run-" + run_id + "_attempt-" +
          std::to_string(attempt) + ".csv");
}

TEST_F(MigrateTest, DataChangelogWrittenAndRecorded) {
  AddPlugins({plugin::kChangelog});
  LM_ASSERT_OK(Run(To(35)));
  ASSERT_TRUE(RecordOf(35).has_value());
  const fs::path expected = ChangelogOf(dir_.path(), "up", RecordOf(35)->run_id);
  ASSERT_TRUE(fs::exists(expected));
  EXPECT_EQ(ReadFile(expected), "id,old,new\r\n1,plain,changed\r\n2,\"a,b\",\"say \"\"hi\"\"\"\r\n");
  ASSERT_EQ(reporter_.steps.size(), 5u);
  EXPECT_EQ(fs::path(reporter_.steps.back().outcome->changelog_path), expected);
  std::optional<lm::Record> record = RecordOf(35);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(fs::path(record->changelog_path), expected);
  EXPECT_TRUE(RecordOf(1)->changelog_path.empty());
}

// The clock is pinned: up, down and up again happen "within one second".
// Each run writes a file of its own, never appending to another's, and each
// history event names its own.
TEST_F(MigrateTest, EveryChangelogIsANewFile) {
  AddPlugins({plugin::kChangelog});
  LM_ASSERT_OK(Run(To(35)));
  LM_ASSERT_OK(Run(Down(1)));
  LM_ASSERT_OK(Run(Up()));

  ASSERT_TRUE(Open().ok());
  std::vector<lm::Event> events;
  bool supported = false;
  LM_ASSERT_OK(engine_->GetHistory(&events, &supported));
  std::vector<lm::Event> of_35;
  for (const lm::Event& event : events)
    if (event.version == 35) of_35.push_back(event);
  ASSERT_EQ(of_35.size(), 3u);
  EXPECT_EQ(of_35[0].kind, "apply");
  EXPECT_EQ(of_35[1].kind, "revert");
  EXPECT_EQ(of_35[2].kind, "apply");
  std::set<std::string> run_ids;
  for (const lm::Event& event : of_35) run_ids.insert(event.run_id);
  ASSERT_EQ(run_ids.size(), 3u) << "each migrate is a run of its own";

  const std::string up_csv = "id,old,new\r\n1,plain,changed\r\n2,\"a,b\",\"say \"\"hi\"\"\"\r\n";
  const std::string down_csv = "id,old,new\r\n1,changed,plain\r\n";
  const std::vector<std::pair<fs::path, std::string>> expected = {
      {ChangelogOf(dir_.path(), "up", of_35[0].run_id), up_csv},
      {ChangelogOf(dir_.path(), "down", of_35[1].run_id), down_csv},
      {ChangelogOf(dir_.path(), "up", of_35[2].run_id), up_csv}};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(of_35[i].detail, "changelog " + expected[i].first.string());
    EXPECT_EQ(ReadFile(expected[i].first), expected[i].second) << "one header, its own rows";
  }
  EXPECT_EQ(ListFiles(dir_ / "changelogs").size(), 3u);
  EXPECT_EQ(fs::path(RecordOf(35)->changelog_path), expected[2].first);
}

// A changelog is only ever created: a file already at its name (here a link
// planted there) is an error that stops the step, and is left as it was.
TEST_F(MigrateTest, ChangelogNeverOpensAnExistingFile) {
  AddPlugins({plugin::kChangelog});
  LM_ASSERT_OK(Run(To(4)));
  ASSERT_TRUE(Open().ok());
  const std::string run_id = engine_->run_id();
  const fs::path victim = dir_ / "victim.txt";
  WriteFile(victim, "keep\n");
  fs::create_directories(dir_ / "changelogs");
  fs::create_symlink(victim, ChangelogOf(dir_.path(), "up", run_id));
  reporter_ = RecordingReporter();
  lm::Status status = engine_->Migrate(Up(), reporter_);
  EXPECT_EQ(status.kind(), lm::ErrorKind::kMigrationFailed);
  EXPECT_THAT(status.message(), HasSubstr("cannot create the changelog " + ChangelogOf(dir_.path(), "up", run_id).string() +
                                          ": File exists"));
  EXPECT_EQ(ReadFile(victim), "keep\n");
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1, 2, 3, 4}));
}

}  // namespace
}  // namespace lm_test
