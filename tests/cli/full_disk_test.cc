// A full disk under the store, for real: a small tmpfs filled by the test.
// A step whose commit fails there left nothing behind, and is recorded as
// what it was, so the next `up` after space is freed simply applies it.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "cli_fixture.h"

namespace lm_test {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

// A tmpfs of `bytes` mounted on `where` for one test. The destructor
// unmounts it, so a failed assertion cannot leave it behind.
class SmallDisk {
 public:
  SmallDisk(const fs::path& where, size_t bytes) : path_(where) {
    fs::create_directories(path_);
    const std::string options = "size=" + std::to_string(bytes) + ",mode=0755";
    if (mount("lm-full-disk-test", path_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
      error_ = std::string("mount -t tmpfs -o ") + options + " " + path_.string() + ": " + std::strerror(errno);
      return;
    }
    mounted_ = true;
  }
  ~SmallDisk() {
    if (mounted_) umount2(path_.c_str(), MNT_DETACH);
  }
  SmallDisk(const SmallDisk&) = delete;
  SmallDisk& operator=(const SmallDisk&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }

  // Takes all but `leave_bytes` of the free space with one file.
  void Fill(size_t leave_bytes) {
    struct statvfs disk {};
    ASSERT_EQ(statvfs(path_.c_str(), &disk), 0) << std::strerror(errno);
    const off_t available = static_cast<off_t>(disk.f_bavail * disk.f_frsize);
    ASSERT_GT(available, static_cast<off_t>(leave_bytes)) << "the disk is fuller than the test expects";
    const int fd = open(Filler().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    const int failed = posix_fallocate(fd, 0, available - static_cast<off_t>(leave_bytes));
    close(fd);
    ASSERT_EQ(failed, 0) << std::strerror(failed);
  }
  void Free() { fs::remove(Filler()); }

  // The files on the disk, the filler left out.
  std::set<std::string> Files() const {
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(path_))
      if (entry.path() != Filler()) names.insert(entry.path().filename().string());
    return names;
  }

 private:
  fs::path Filler() const { return path_ / "filler"; }

  fs::path path_;
  bool mounted_ = false;
  std::string error_;
};

class FullDiskTest : public CliTest {
 protected:
  void SetUp() override {
    if (!disk_.mounted())
      GTEST_SKIP() << "needs to mount a small tmpfs (root, or CAP_SYS_ADMIN), and cannot: " << disk_.error();
    AddPlugins({plugin::kLedger1, plugin::kBlob});
  }

  fs::path DiskDir() const { return dir_ / "disk"; }
  void ApplyTheFirstStepThenFillTheDisk(const fs::path& database);

  SmallDisk disk_{dir_ / "disk", 4u << 20};
};

// A sqlite target on the small disk with version 1 applied, then the disk
// filled but for 256 KiB: version 44's megabyte no longer fits.
void FullDiskTest::ApplyTheFirstStepThenFillTheDisk(const fs::path& database) {
  ASSERT_EQ(database.parent_path(), DiskDir());
  WriteConfig({{"migrations", "migrations"},
               {"store", {{"plugin", "sqlite"}, {"options", {{"database", "disk/" + database.filename().string()}}}}},
               {"params", {{"blob_bytes", 1 << 20}}}});
  ASSERT_EQ(Run({"up", "--steps", "1"}).exit_code, 0);
  disk_.Fill(256u << 10);
}

// The step's megabyte fits in SQLite's page cache, so it reaches the disk
// only at COMMIT, which fails; SQLite then rolls the transaction back
// itself. The failure's own record and event fit in the write-ahead log
// the failed COMMIT already grew.
TEST_F(FullDiskTest, SqliteCommitThatFailsIsRecordedAsRolledBack) {
  const fs::path database = DiskDir() / "target.db";
  ASSERT_NO_FATAL_FAILURE(ApplyTheFirstStepThenFillTheDisk(database));

  CliResult failed = Run({"up"});
  LM_EXPECT_ERROR(failed, 1, "version 44 (blob_44) failed during up: the step ran but could not be recorded");
  EXPECT_THAT(failed.err, HasSubstr("full")) << failed;

  CliResult status = Run({"status"});
  LM_EXPECT_OK(status);
  EXPECT_THAT(status.out, ContainsRegex("\n +44 +failed-rolled-back +blob_44"));
  CliResult history = Run({"history"});
  LM_EXPECT_OK(history);
  EXPECT_THAT(history.out, ContainsRegex("fail +44 +blob_44 .*\\(rolled back\\)"));
  EXPECT_THAT(history.out, Not(HasSubstr("not rolled back")));
  EXPECT_EQ(ReadLedger(database), (std::set<int64_t>{1}));

  disk_.Free();
  LM_EXPECT_OK(Run({"up"}));
  EXPECT_EQ(ReadLedger(database), (std::set<int64_t>{1, 44}));
  EXPECT_THAT(Run({"status"}).out, ContainsRegex("\n +44 +applied +blob_44"));
}

// In group mode the run's one COMMIT fails; SQLite rolled it back, and the
// error says so rather than leaving the reader to guess.
TEST_F(FullDiskTest, SqliteGroupCommitThatFailsSaysTheGroupWasRolledBack) {
  const fs::path database = DiskDir() / "target.db";
  ASSERT_NO_FATAL_FAILURE(ApplyTheFirstStepThenFillTheDisk(database));

  CliResult failed = Run({"up", "--group"});
  LM_EXPECT_ERROR(failed, 5, "could not commit");
  EXPECT_THAT(failed.err, HasSubstr("; the whole group was rolled back")) << failed;
  EXPECT_THAT(Run({"status"}).out, ContainsRegex("\n +44 +pending +blob_44"));
  EXPECT_EQ(ReadLedger(database), (std::set<int64_t>{1}));

  disk_.Free();
  LM_EXPECT_OK(Run({"up", "--group"}));
  EXPECT_EQ(ReadLedger(database), (std::set<int64_t>{1, 44}));
}

// A store built before lm_store_api.in_transaction cannot say that its
// transaction is gone, and is never asked: the runner believes only a
// rollback that works, so the step stays failed-partial for a human, as
// runners always recorded it.
TEST_F(FullDiskTest, StoreBuiltBeforeInTransactionKeepsTheOldAnswer) {
  const fs::path database = DiskDir() / "target.db";
  WriteConfig({{"migrations", "migrations"},
               {"store", {{"plugin", plugin::kFirstAbiStore.string()}, {"options", {{"database", "disk/target.db"}}}}},
               {"params", {{"blob_bytes", 1 << 20}}}});
  ASSERT_EQ(Run({"up", "--steps", "1"}).exit_code, 0);
  disk_.Fill(256u << 10);

  LM_EXPECT_ERROR(Run({"up"}), 1, "version 44 (blob_44) failed during up: the step ran but could not be recorded");
  EXPECT_THAT(Run({"status"}).out, ContainsRegex("\n +44 +failed-partial +blob_44"));
  EXPECT_THAT(Run({"history"}).out, HasSubstr("(not rolled back)"));
  EXPECT_EQ(ReadLedger(database), (std::set<int64_t>{1}));
}

// The json-file store has no transaction, so nothing can be rolled back:
// what it must not do is claim a step ran. On a full disk its first write
// (at open, or the record saying the step is running) fails, the step never
// starts, and nothing says it did: no record, no failure, no temporary file.
TEST_F(FullDiskTest, JsonFileWriteThatFailsLeavesTheStepPending) {
  WriteConfig({{"migrations", "migrations"},
               {"store", {{"plugin", "json-file"}, {"options", {{"path", "disk/versions.json"}}}}},
               {"params", {{"ledger_db", (dir_ / "ledger.db").string()}}}});
  ASSERT_EQ(Run({"up", "--steps", "1"}).exit_code, 0);
  const std::set<std::string> files_before = disk_.Files();
  disk_.Fill(0);

  CliResult failed = Run({"up"});
  LM_EXPECT_ERROR(failed, 5, "store 'json-file'");
  EXPECT_THAT(failed.err, HasSubstr(DiskDir().string() + "/")) << failed;
  EXPECT_THAT(failed.err, HasSubstr("No space left on device")) << failed;

  EXPECT_EQ(disk_.Files(), files_before) << "a temporary file was left on the full disk";
  CliResult status = Run({"status"});
  LM_EXPECT_OK(status);
  EXPECT_THAT(status.out, ContainsRegex("\n +44 +pending +blob_44"));
  EXPECT_THAT(Run({"history"}).out, Not(HasSubstr("fail")));
  EXPECT_EQ(ReadLedger(dir_ / "ledger.db"), (std::set<int64_t>{1}));

  disk_.Free();
  LM_EXPECT_OK(Run({"up"}));
  EXPECT_EQ(ReadLedger(dir_ / "ledger.db"), (std::set<int64_t>{1, 44}));
}

}  // namespace
}  // namespace lm_test
