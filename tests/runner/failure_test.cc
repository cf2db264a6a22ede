// Steps that fail: what stays applied, what the store records, how the
// failed work is undone, and how a human recovers.
#include "engine_fixture.h"

namespace lm_test {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

class FailureTest : public EngineTest {
 protected:
  void SetUp() override { AddPlugins({plugin::kLedger1, plugin::kLedger2}); }

  // The step for `version` must have finished with an error containing `text`.
  void ExpectStepFailed(int64_t version, const std::string& text) {
    ASSERT_FALSE(reporter_.steps.empty());
    const RecordedStep& last = reporter_.steps.back();
    EXPECT_EQ(last.version, version);
    ASSERT_TRUE(last.outcome.has_value());
    EXPECT_FALSE(last.outcome->ok);
    EXPECT_THAT(last.outcome->error, HasSubstr(text));
  }

  // The history's events of `version`, as "<kind>: <detail>".
  std::vector<std::string> EventsOf(int64_t version) {
    std::vector<lm::Event> events;
    bool supported = false;
    EXPECT_TRUE(Open().ok());
    LM_EXPECT_OK(engine_->GetHistory(&events, &supported));
    std::vector<std::string> shown;
    for (const lm::Event& event : events)
      if (event.version == version) shown.push_back(event.kind + ": " + event.detail);
    return shown;
  }

  // The store's record of `version` must be in `state` with `error`.
  void ExpectRecord(int64_t version, lm::VersionState state, const std::string& error, int32_t attempts) {
    std::optional<lm::Record> record = RecordOf(version);
    ASSERT_TRUE(record.has_value()) << "no record of version " << version;
    EXPECT_STREQ(lm::VersionStateName(record->state), lm::VersionStateName(state));
    EXPECT_THAT(record->error, HasSubstr(error));
    EXPECT_EQ(record->attempts, attempts);
  }
};

TEST_F(FailureTest, ThrowingStepRollsBackItsOwnWork) {
  AddPlugins({plugin::kThrows});
  UseSqlite();
  lm::Status status = Run(Up());
  EXPECT_EQ(status.kind(), lm::ErrorKind::kMigrationFailed);
  EXPECT_THAT(status.message(),
              HasSubstr("version 30 (throws_30) failed during up: throws_30 always fails after writing its row"));
  ExpectStepFailed(30, "throws_30 always fails after writing its row");
  // Earlier steps stay; the failed step's own row is gone with its transaction.
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1, 2}));
  EXPECT_EQ(Applied(), (std::set<int64_t>{1, 2}));
  ExpectRecord(30, lm::VersionState::kFailedRolledBack, "throws_30 always fails after writing its row", 1);
}

TEST_F(FailureTest, CStepReturningErrorRollsBack) {
  AddPlugins({plugin::kCError});
  UseSqlite();
  lm::Status status = Run(Up());
  EXPECT_EQ(status.kind(), lm::ErrorKind::kMigrationFailed);
  EXPECT_THAT(status.message(), HasSubstr("version 31 (c_error_31) failed during up: "
                                          "c_error_31 refuses: plain C step returned LM_ERROR"));
  EXPECT_THAT(reporter_.LinesOf(31), ElementsAre("info: c_error_31 wrote its row"));
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1, 2}));
  ExpectRecord(31, lm::VersionState::kFailedRolledBack, "c_error_31 refuses", 1);
}

TEST_F(FailureTest, FailedStepIsPendingInStatus) {
  AddPlugins({plugin::kThrows});
  UseSqlite();
  ASSERT_FALSE(Run(Up()).ok());
  lm::StatusReport report = Report();
  EXPECT_EQ(report.current_version, 2);
  ASSERT_EQ(report.versions.size(), 3u);
  ASSERT_NE(report.versions[2].record, nullptr);
  EXPECT_EQ(report.versions[2].record->state, lm::VersionState::kFailedRolledBack);
}

TEST_F(FailureTest, RerunAfterFixingApplies) {
  AddPlugins({plugin::kParamFail, plugin::kLedger3});
  UseSqlite({{"fail_32", true}});
  lm::Status status = Run(Up());
  EXPECT_EQ(status.kind(), lm::ErrorKind::kMigrationFailed);
  EXPECT_THAT(status.message(), HasSubstr("version 32 (param_fail_32) failed during up: param_fail_32: params.fail_32 is true"));
  EXPECT_THAT(reporter_.Started(), ElementsAre("up 1", "up 2", "up 3", "up 32"));
  ExpectRecord(32, lm::VersionState::kFailedRolledBack, "params.fail_32 is true", 1);
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1, 2, 3}));

  // The same failure again counts a second attempt.
  ASSERT_FALSE(Run(Up()).ok());
  EXPECT_THAT(reporter_.Started(), ElementsAre("up 32"));
  ExpectRecord(32, lm::VersionState::kFailedRolledBack, "params.fail_32 is true", 2);

  UseSqlite({{"fail_32", false}});
  LM_ASSERT_OK(Run(Up()));
  EXPECT_THAT(reporter_.Started(), ElementsAre("up 32"));
  ExpectRecord(32, lm::VersionState::kApplied, "", 3);
  EXPECT_TRUE(RecordOf(32)->error.empty());
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1, 2, 3, 32}));
}

TEST_F(FailureTest, NoTransactionFlagRunsOutsideTransaction) {
  AddPlugins({plugin::kNoTransaction, plugin::kParams});
  UseSqlite();
  LM_ASSERT_OK(Run(Up()));
  EXPECT_THAT(reporter_.LinesOf(33), ElementsAre("info: in transaction: no"));
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1, 2, 33}));
}

TEST_F(FailureTest, NoTransactionFailureOnSqliteNeedsRepair) {
  AddPlugins({plugin::kNoTransaction});
  UseSqlite({{"fail_33", true}});
  EXPECT_EQ(Run(Up()).kind(), lm::ErrorKind::kMigrationFailed);
  // Nothing rolled the step's row back.
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1, 2, 33}));
  ExpectRecord(33, lm::VersionState::kFailedPartial, "params.fail_33 is true", 1);
}

// A step that wrote its changelog and then failed was rolled back: the
// changelog describes changes that never happened. It is set aside under a
// name that says so, and the record, the report and the fail event name it.
TEST_F(FailureTest, RolledBackStepSetsItsChangelogAside) {
  AddPlugins({plugin::kChangelog});
  UseSqlite({{"fail_35", true}});
  EXPECT_EQ(Run(Up()).kind(), lm::ErrorKind::kMigrationFailed);
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1, 2}));
  ExpectRecord(35, lm::VersionState::kFailedRolledBack, "changelog_35 fails after writing its changelog", 1);

  const std::set<std::string> files = ListFiles(dir_ / "changelogs");
  ASSERT_EQ(files.size(), 1u);
  EXPECT_THAT(*files.begin(), MatchesRegex("35_changelog_35_up_[0-9]{8}T[0-9]{6}Z_run-[0-9a-f]{16}_attempt-1"
                                           "_rolled-back\\.csv"));
  const std::string aside = (dir_ / "changelogs" / *files.begin()).string();
  EXPECT_EQ(RecordOf(35)->changelog_path, aside);
  EXPECT_EQ(reporter_.steps.back().outcome->changelog_path, aside);
  EXPECT_THAT(EventsOf(35), ElementsAre("fail: up: changelog_35 fails after writing its changelog (rolled back); "
                                        "changelog of the rolled-back work set aside: " + aside));
}

// Without a transaction nothing was rolled back: the changelog may describe
// what stayed, and keeps its name.
TEST_F(FailureTest, PartlyAppliedStepKeepsItsChangelog) {
  AddPlugins({plugin::kChangelog});
  UseJsonFile({{"fail_35", true}});
  EXPECT_EQ(Run(Up()).kind(), lm::ErrorKind::kMigrationFailed);
  ExpectRecord(35, lm::VersionState::kFailedPartial, "changelog_35 fails after writing its changelog", 1);
  const std::set<std::string> files = ListFiles(dir_ / "changelogs");
  ASSERT_EQ(files.size(), 1u);
  EXPECT_THAT(*files.begin(), MatchesRegex("35_changelog_35_up_.*_attempt-1\\.csv"));
  EXPECT_EQ(RecordOf(35)->changelog_path, (dir_ / "changelogs" / *files.begin()).string());
}

// A rolled-back group run leaves nothing applied: every changelog of its
// steps, the ones that finished and the one that failed, is set aside.
TEST_F(FailureTest, RolledBackGroupSetsEveryChangelogAside) {
  AddPlugins({plugin::kChangelog, plugin::kChangelog45});
  UseSqlite({{"fail_45", true}});
  lm::MigrateRequest request = Up();
  request.group = true;
  lm::Status status = Run(request);
  EXPECT_EQ(status.kind(), lm::ErrorKind::kMigrationFailed);
  EXPECT_THAT(status.message(), HasSubstr("the whole group was rolled back"));
  EXPECT_THAT(Ledger(), ::testing::IsEmpty());
  EXPECT_THAT(Applied(), ::testing::IsEmpty());

  const std::set<std::string> files = ListFiles(dir_ / "changelogs");
  ASSERT_EQ(files.size(), 2u);
  const std::string aside_35 = (dir_ / "changelogs" / *files.begin()).string();
  const std::string aside_45 = (dir_ / "changelogs" / *files.rbegin()).string();
  EXPECT_THAT(*files.begin(), MatchesRegex("35_changelog_35_up_.*_rolled-back\\.csv"));
  EXPECT_THAT(*files.rbegin(), MatchesRegex("45_changelog_45_up_.*_rolled-back\\.csv"));
  EXPECT_EQ(RecordOf(45)->changelog_path, aside_45);
  const std::string set_aside = "changelog of the rolled-back work set aside: " + aside_35 + ", " + aside_45;
  EXPECT_THAT(EventsOf(45), ElementsAre("fail: up: changelog_45 fails after writing its changelog (rolled back); " +
                                        set_aside));
  EXPECT_THAT(EventsOf(35), ::testing::IsEmpty()) << "its apply event went with the transaction";
  EXPECT_THAT(reporter_.warnings, Contains(HasSubstr(set_aside)));
}

class RepairTest : public FailureTest {
 protected:
  // Ledger 1 and 2, then version 33 failing part-way on the json-file store,
  // which has no transactions.
  void SetUp() override {
    FailureTest::SetUp();
    AddPlugins({plugin::kNoTransaction});
    UseJsonFile({{"fail_33", true}});
    lm::Status status = Run(Up());
    ASSERT_EQ(status.kind(), lm::ErrorKind::kMigrationFailed) << status.message();
    UseJsonFile({{"fail_33", false}});
  }

  void ExpectRefused() {
    lm::Status status = Run(Up());
    EXPECT_EQ(status.kind(), lm::ErrorKind::kNeedsRepair);
    EXPECT_THAT(status.message(), HasSubstr("version 33 (no_transaction_33) failed part-way without a transaction"));
    EXPECT_THAT(status.message(), HasSubstr("by tester@testhost"));
    EXPECT_THAT(status.message(), HasSubstr("params.fail_33 is true"));
    EXPECT_THAT(status.message(), HasSubstr("'mark-applied 33' or 'mark-pending 33'"));
    EXPECT_TRUE(reporter_.steps.empty());
  }
};

TEST_F(RepairTest, PartialFailureIsRecorded) {
  EXPECT_EQ(JsonFileLedger(), (std::set<int64_t>{1, 2, 33}));
  ExpectRecord(33, lm::VersionState::kFailedPartial, "no_transaction_33: params.fail_33 is true", 1);
  EXPECT_EQ(Applied(), (std::set<int64_t>{1, 2}));
}

TEST_F(RepairTest, NextRunRefusesUntilRepaired) {
  ExpectRefused();
  EXPECT_EQ(Run(Down()).kind(), lm::ErrorKind::kNeedsRepair);
  EXPECT_EQ(Run(To(1)).kind(), lm::ErrorKind::kNeedsRepair);
  EXPECT_EQ(JsonFileLedger(), (std::set<int64_t>{1, 2, 33}));
}

TEST_F(RepairTest, MarkAppliedResolves) {
  ExpectRefused();
  LM_ASSERT_OK(Open());
  LM_ASSERT_OK(engine_->MarkApplied(33, reporter_));
  EXPECT_EQ(RecordOf(33)->state, lm::VersionState::kApplied);
  EXPECT_EQ(RecordOf(33)->applied_by, "tester@testhost");
  EXPECT_THAT(ReadFile(JsonStoreFile()), HasSubstr("\"mark-applied\""));
  LM_ASSERT_OK(Run(Up()));
  EXPECT_TRUE(reporter_.steps.empty());
  EXPECT_EQ(Applied(), (std::set<int64_t>{1, 2, 33}));
}

// The record's attempts count how often up was started; marking the version
// applied by hand does not undo the attempt that failed.
TEST_F(RepairTest, MarkAppliedKeepsAttempts) {
  LM_ASSERT_OK(Open());
  LM_ASSERT_OK(engine_->MarkApplied(33, reporter_));
  ExpectRecord(33, lm::VersionState::kApplied, "", 1);
}

TEST_F(RepairTest, MarkPendingResolvesAndRerunApplies) {
  ExpectRefused();
  // By hand: undo what the step did, then say so.
  ExecSql(dir_ / "ledger.db", "DELETE FROM ledger WHERE version = 33");
  LM_ASSERT_OK(Open());
  LM_ASSERT_OK(engine_->MarkPending(33, reporter_));
  EXPECT_FALSE(RecordOf(33).has_value());
  LM_ASSERT_OK(Run(Up()));
  EXPECT_THAT(reporter_.Started(), ElementsAre("up 33"));
  EXPECT_EQ(JsonFileLedger(), (std::set<int64_t>{1, 2, 33}));
  EXPECT_EQ(Applied(), (std::set<int64_t>{1, 2, 33}));
}

TEST_F(RepairTest, MarkAppliedUnknownVersionIsRefused) {
  LM_ASSERT_OK(Open());
  lm::Status status = engine_->MarkApplied(77, reporter_);
  EXPECT_EQ(status.kind(), lm::ErrorKind::kPlanRefused);
  EXPECT_THAT(status.message(), HasSubstr("cannot mark version 77 applied: no migration plugin has it"));
}

}  // namespace
}  // namespace lm_test
