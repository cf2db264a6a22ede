// base/atomic_file: a file written through a new one of its own, created
// exclusively beside it and renamed into place.
#include "base/atomic_file.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "support/files.h"
#include "support/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using lm::test::ReadFile;
using lm::test::TempDir;
using lm::test::WriteFile;

// Every name in `dir` but `keep`: what a write left behind.
std::vector<std::string> Others(const TempDir& dir, const std::vector<std::string>& keep) {
  std::vector<std::string> others;
  for (const std::string& name : dir.Entries())
    if (std::find(keep.begin(), keep.end(), name) == keep.end()) others.push_back(name);
  return others;
}

TEST(AtomicFile, ReplacesAndKeepsTheMode) {
  TempDir dir;
  const fs::path file = dir / "state.json";
  WriteFile(file, "old");
  fs::permissions(file, fs::perms(0640));
  bool created = false;
  ASSERT_EQ(lm::WriteFileAtomically(file.string(), "new", 0666, lm::Publish::kReplace, &created), "");
  EXPECT_TRUE(created);
  EXPECT_EQ(ReadFile(file), "new");
  EXPECT_EQ(fs::status(file).permissions(), fs::perms(0640));
  EXPECT_EQ(Others(dir, {"state.json"}), std::vector<std::string>{});
}

TEST(AtomicFile, ALinkAtTheNameIsReplacedNotFollowed) {
  TempDir dir;
  WriteFile(dir / "victim", "precious");
  fs::create_symlink(dir / "victim", dir / "out");
  ASSERT_EQ(lm::WriteFileAtomically((dir / "out").string(), "new"), "");
  EXPECT_EQ(ReadFile(dir / "victim"), "precious");
  EXPECT_FALSE(fs::is_symlink(dir / "out"));
  EXPECT_EQ(ReadFile(dir / "out"), "new");
}

TEST(AtomicFile, CreateOnlyLeavesAnExistingNameAlone) {
  TempDir dir;
  fs::create_symlink(dir / "nowhere", dir / "key");  // dangling: creating through it would make "nowhere"
  bool created = true;
  ASSERT_EQ(lm::WriteFileAtomically((dir / "key").string(), "secret", 0600, lm::Publish::kCreateOnly, &created), "");
  EXPECT_FALSE(created);
  EXPECT_FALSE(fs::exists(dir / "nowhere"));
  EXPECT_EQ(Others(dir, {"key"}), std::vector<std::string>{});
}

TEST(AtomicFile, ModeIsGivenAtCreation) {
  TempDir dir;
  const mode_t saved = umask(0);
  const std::string problem =
      lm::WriteFileAtomically((dir / "key").string(), "secret", 0600, lm::Publish::kCreateOnly, nullptr);
  umask(saved);
  ASSERT_EQ(problem, "");
  EXPECT_EQ(fs::status(dir / "key").permissions(), fs::perms(0600));
}

// A disk that fills in the middle of the write: the old file stays, and
// no temporary file is left.
TEST(AtomicFile, AFailedWriteLeavesTheOldFileAndNoTemporaryOne) {
  TempDir dir;
  const fs::path file = dir / "bundle";
  WriteFile(file, "old");
  rlimit saved{};
  getrlimit(RLIMIT_FSIZE, &saved);
  const sighandler_t handler = signal(SIGXFSZ, SIG_IGN);
  rlimit limited = saved;
  limited.rlim_cur = 4096;
  setrlimit(RLIMIT_FSIZE, &limited);
  const std::string problem = lm::WriteFileAtomically(file.string(), std::string(1 << 16, 'x'));
  setrlimit(RLIMIT_FSIZE, &saved);
  signal(SIGXFSZ, handler);
  EXPECT_NE(problem.find("cannot write " + dir.path().string() + "/.bundle."), std::string::npos) << problem;
  EXPECT_EQ(ReadFile(file), "old");
  EXPECT_EQ(Others(dir, {"bundle"}), std::vector<std::string>{});
}

TEST(AtomicFile, AMissingFolderIsNamed) {
  TempDir dir;
  const std::string problem = lm::WriteFileAtomically((dir / "gone" / "out").string(), "x");
  EXPECT_NE(problem.find("cannot create a new file in " + (dir / "gone").string() + " for out"), std::string::npos)
      << problem;
}

}  // namespace
