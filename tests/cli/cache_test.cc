// The plugin metadata cache end to end: status keeps the plugin files'
// metadata in LINK_MIGRATION_CACHE_DIR, reads it back next time, and still
// sees a plugin replaced by another of the same size and mtime.
#include <fcntl.h>
#include <sys/stat.h>

#include <chrono>
#include <thread>

#include "cli_fixture.h"

namespace lm_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The one cache file in `folder`.
fs::path OnlyCacheFile(const fs::path& folder) {
  std::vector<fs::path> found;
  for (const auto& entry : fs::directory_iterator(folder)) found.push_back(entry.path());
  if (found.size() != 1 || found[0].extension() != ".lmcache") throw std::runtime_error("not one cache file");
  return found[0];
}

struct stat StatOf(const fs::path& file) {
  struct stat info {};
  if (stat(file.c_str(), &info) != 0) throw std::runtime_error("cannot stat " + file.string());
  return info;
}

TEST_F(CliTest, StatusUsesTheCacheAndSeesAReplacedPlugin) {
  UseSqlite();
  AddPlugins({plugin::kLedger1, plugin::kLedger2});
  ASSERT_EQ(fs::file_size(plugin::kLedger2), fs::file_size(plugin::kLedger3)) << "the test needs equal sizes";
  // The suite's one wait: only files whose mtime and ctime are 3 s old are cached.
  std::this_thread::sleep_for(std::chrono::milliseconds(3200));

  const CliResult first = Run({"status"});
  LM_EXPECT_OK(first);
  EXPECT_THAT(first.out, HasSubstr("ledger_2"));
  const fs::path cache = OnlyCacheFile(CacheDir());
  const std::string held = ReadFile(cache);
  EXPECT_THAT(held, HasSubstr(plugin::kLedger1.filename().string()));
  EXPECT_THAT(held, HasSubstr(plugin::kLedger2.filename().string()));
  EXPECT_THAT(held, HasSubstr(MigrationsDir().string())) << "the folder it is for";
  EXPECT_EQ(StatOf(cache).st_mode & 0777, 0600u);
  const ino_t written = StatOf(cache).st_ino;

  // Every entry matched: the file is not written again (a rewrite renames a
  // new file over it).
  const CliResult second = Run({"status"});
  LM_EXPECT_OK(second);
  EXPECT_EQ(second.out, first.out);
  EXPECT_EQ(StatOf(OnlyCacheFile(CacheDir())).st_ino, written);

  // Another plugin in place of ledger_2: same size, same mtime; only its
  // ctime differs, and that is enough.
  const fs::path two = MigrationsDir() / plugin::kLedger2.filename();
  const struct timespec mtime = StatOf(two).st_mtim;
  fs::copy_file(plugin::kLedger3, two, fs::copy_options::overwrite_existing);
  const struct timespec times[2] = {mtime, mtime};
  ASSERT_EQ(utimensat(AT_FDCWD, two.c_str(), times, 0), 0);
  ASSERT_EQ(StatOf(two).st_size, static_cast<off_t>(fs::file_size(plugin::kLedger2)));

  const CliResult third = Run({"status"});
  LM_EXPECT_OK(third);
  EXPECT_THAT(third.out, HasSubstr("ledger_3"));
  EXPECT_THAT(third.out, Not(HasSubstr("ledger_2")));
  EXPECT_NE(StatOf(OnlyCacheFile(CacheDir())).st_ino, written) << "the changed entry was dropped by a rewrite";
  EXPECT_THAT(ReadFile(OnlyCacheFile(CacheDir())), Not(HasSubstr("ledger_3")))
      << "a file changed just now is not cached";

  // Deleting the cache is always safe.
  fs::remove_all(CacheDir());
  const CliResult fourth = Run({"status"});
  LM_EXPECT_OK(fourth);
  EXPECT_EQ(fourth.out, third.out);
}

}  // namespace
}  // namespace lm_test
