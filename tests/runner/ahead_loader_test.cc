// Loading plugin files while steps run (runner/src/ahead_loader.h): every
// file loads in the order the steps need it, a step waits for its own file
// only, a file that fails to load is the answer for its step and stops the
// loading there, and without a second CPU each file loads when asked.
// LoadingMark tells a supervisor which file a dead worker was loading.
#include "run/ahead_loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "catalog/catalog.h"
#include "engine_fixture.h"
#include "run/loading_mark.h"

namespace {

using ::testing::HasSubstr;
namespace plugin = lm_test::plugin;

class AheadLoaderTest : public ::testing::Test {
 protected:
  // The build tree's plugin files, read from their lm_meta sections: known,
  // not loaded.
  void Read(std::initializer_list<std::filesystem::path> files) {
    std::vector<lm::MigrationSource> sources;
    for (const std::filesystem::path& file : files) sources.push_back({file, false});
    LM_ASSERT_OK(lm::LoadCatalog(sources, lm::TrustPolicy{}, lm::BundlePolicy{}, lm::MetaCacheOptions{}, &catalog_));
    for (const lm::Migration& migration : catalog_.migrations()) ASSERT_FALSE(migration.loaded()) << migration.version;
  }
  const lm::Migration& Known(int64_t version) {
    const lm::Migration* migration = catalog_.Find(version);
    EXPECT_NE(migration, nullptr) << version;
    return *migration;
  }

  lm::Catalog catalog_;
};

bool TwoCpus() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  return sched_getaffinity(0, sizeof allowed, &allowed) == 0 && CPU_COUNT(&allowed) >= 2;
}

TEST_F(AheadLoaderTest, FilesToLoadFollowTheOrderAsked) {
  Read({plugin::kLedger1, plugin::kLedger2, plugin::kLedger3});
  const std::vector<lm::PluginFileLoad> loads = catalog_.FilesToLoad({3, 1, 2, 3});
  ASSERT_EQ(loads.size(), 3u);
  EXPECT_EQ(loads[0].file, plugin::kLedger3.string());
  EXPECT_EQ(loads[1].file, plugin::kLedger1.string());
  EXPECT_EQ(loads[2].file, plugin::kLedger2.string());
  ASSERT_EQ(loads[0].migrations.size(), 1u);
  EXPECT_EQ(loads[0].migrations[0]->version, 3);
}

TEST_F(AheadLoaderTest, LoadsEveryFileOnAThreadWithoutBeingAsked) {
  if (!TwoCpus()) GTEST_SKIP() << "needs two allowed CPUs; this process has one";
  Read({plugin::kLedger1, plugin::kLedger2, plugin::kLedger3, plugin::kIrreversible});
  lm::AheadLoader loader(catalog_, catalog_.FilesToLoad({1, 2, 3, 5}));
  loader.Start();
  // Nothing asks for a file: the thread loads them all by itself.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (loader.loaded_count() < 4 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_EQ(loader.loaded_count(), 4u);
  for (int64_t version : {1, 2, 3, 5}) {
    LM_EXPECT_OK(loader.Ready(Known(version)));
    EXPECT_TRUE(Known(version).loaded()) << version;
  }
  EXPECT_EQ(Known(2).description, "Adds row 2 to the ledger.");
  EXPECT_EQ(Known(5).up_note, "irreversible: there is no way back below version 5");
}

TEST_F(AheadLoaderTest, AFileThatFailsToLoadAnswersForItsStepAndStopsTheLoading) {
  Read({plugin::kLedger1, plugin::kLedger2, plugin::kUnresolved});
  {
    lm::AheadLoader loader(catalog_, catalog_.FilesToLoad({1, 38, 2}));
    loader.Start();
    LM_EXPECT_OK(loader.Ready(Known(1)));
    const lm::Status failed = loader.Ready(Known(38));
    EXPECT_EQ(failed.kind(), lm::ErrorKind::kPluginLoad) << failed.message();
    EXPECT_THAT(failed.message(), HasSubstr(plugin::kUnresolved.string()));
    EXPECT_THAT(failed.message(), HasSubstr("lm_test_defined_nowhere"));
    // A later step never runs, but asked anyway it gets the same answer.
    EXPECT_EQ(loader.Ready(Known(2)).message(), failed.message());
  }
  EXPECT_TRUE(Known(1).loaded());
  EXPECT_FALSE(Known(38).loaded());
  EXPECT_FALSE(Known(2).loaded()) << "the loading went on past the file that failed";
}

TEST_F(AheadLoaderTest, WithoutAThreadEachFileLoadsWhenItsStepAsks) {
  Read({plugin::kLedger1, plugin::kLedger2, plugin::kLedger3});
  lm::AheadLoader loader(catalog_, catalog_.FilesToLoad({1, 2, 3}));
  LM_EXPECT_OK(loader.Ready(Known(2)));
  EXPECT_EQ(loader.loaded_count(), 2u);
  EXPECT_TRUE(Known(1).loaded());
  EXPECT_TRUE(Known(2).loaded());
  EXPECT_FALSE(Known(3).loaded());
  LM_EXPECT_OK(loader.ReadyAll());
  EXPECT_TRUE(Known(3).loaded());
  loader.Start();  // nothing left: no thread
  LM_EXPECT_OK(loader.Ready(Known(3)));
}

TEST_F(AheadLoaderTest, OneFileTakesNoThread) {
  Read({plugin::kBundle});
  lm::AheadLoader loader(catalog_, catalog_.FilesToLoad({20, 21, 22}));
  loader.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(loader.loaded_count(), 0u) << "a thread loaded the only file";
  LM_EXPECT_OK(loader.Ready(Known(21)));
  EXPECT_EQ(loader.loaded_count(), 1u);
  EXPECT_TRUE(Known(20).loaded());
  EXPECT_TRUE(Known(22).loaded());
}

TEST_F(AheadLoaderTest, AMigrationLoadedBeforeIsReadyAtOnce) {
  Read({plugin::kLedger1, plugin::kUnresolved});
  LM_ASSERT_OK(catalog_.Load({1}));
  lm::AheadLoader loader(catalog_, catalog_.FilesToLoad({1, 38}));
  LM_EXPECT_OK(loader.Ready(Known(1)));
  EXPECT_EQ(loader.loaded_count(), 0u) << "asking for a loaded migration loaded more";
}

TEST_F(AheadLoaderTest, StoppingMidwayWaitsForTheFileBeingLoaded) {
  Read({plugin::kLedger1, plugin::kLedger2, plugin::kLedger3, plugin::kLedger4});
  {
    lm::AheadLoader loader(catalog_, catalog_.FilesToLoad({1, 2, 3, 4}));
    loader.Start();
    LM_EXPECT_OK(loader.Ready(Known(1)));
  }
  // Whatever the thread reached, each file is either wholly loaded or not.
  for (int64_t version : {1, 2, 3, 4}) {
    const lm::Migration& migration = Known(version);
    EXPECT_EQ(migration.loaded(), !migration.description.empty()) << version;
  }
}

// Runs `worker` in a forked child that watches `mark` for deaths, and
// returns how the child ended.
template <class Worker>
int DieInAChild(lm::LoadingMark& mark, Worker worker) {
  const pid_t child = fork();
  if (child == 0) {
    mark.WatchForDeaths();
    worker();
    _exit(0);
  }
  int status = 0;
  EXPECT_EQ(waitpid(child, &status, 0), child);
  return status;
}

// In a forked child: the catalog of `files` (known from lm_meta), or exit 2.
void ReadInAChild(std::initializer_list<std::filesystem::path> files, lm::Catalog* catalog) {
  std::vector<lm::MigrationSource> sources;
  for (const std::filesystem::path& file : files) sources.push_back({file, false});
  if (!lm::LoadCatalog(sources, lm::TrustPolicy{}, lm::BundlePolicy{}, lm::MetaCacheOptions{}, catalog).ok()) _exit(2);
}

// A real fault, not a sent signal: a write to a read-only page (which no
// sanitizer turns into a report of its own, as it does a null store).
[[noreturn]] void Segfault() {
  void* page = mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page != MAP_FAILED) *static_cast<volatile int*>(page) = 1;
  std::abort();
}

TEST(LoadingMarkTest, APluginThatKillsTheWorkerWhileLoadingIsNamed) {
  lm::LoadingMark mark;
  const int status = DieInAChild(mark, [&] {
    lm::Catalog catalog;
    ReadInAChild({plugin::kLedger1, plugin::kLoadCrash}, &catalog);
    lm::AheadLoader loader(catalog, catalog.FilesToLoad({1, 39}), &mark);
    (void)loader.ReadyAll();  // dies in version 39's static initialiser
    _exit(3);
  });
  ASSERT_TRUE(WIFSIGNALED(status)) << "exit " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGSEGV) << "the process did not end as it would have";
  EXPECT_EQ(mark.DiedLoading(), plugin::kLoadCrash.string());
}

// The loading thread is marked; another thread's death is not its file's.
TEST(LoadingMarkTest, AStepThatDiesBesideALoadIsNotBlamedOnTheFile) {
  for (const bool by_signal : {true, false}) {
    lm::LoadingMark mark;
    const int status = DieInAChild(mark, [&] {
      std::atomic<bool> marked{false};
      std::thread loading([&] {
        mark.Set("/plugins/loading.so");
        marked = true;
        pause();
      });
      while (!marked) std::this_thread::yield();
      if (by_signal) Segfault();
      std::exit(3);
    });
    if (by_signal) {
      ASSERT_TRUE(WIFSIGNALED(status));
      EXPECT_EQ(WTERMSIG(status), SIGSEGV);
    } else {
      ASSERT_TRUE(WIFEXITED(status));
      EXPECT_EQ(WEXITSTATUS(status), 3);
    }
    EXPECT_FALSE(mark.DiedLoading().has_value()) << (by_signal ? "signal" : "exit");
  }
}

TEST(LoadingMarkTest, ExitOrAbortOnTheLoadingThreadIsTheFiles) {
  for (const bool by_exit : {true, false}) {
    lm::LoadingMark mark;
    const int status = DieInAChild(mark, [&] {
      std::thread loading([&] {
        mark.Set("/plugins/ends.so");
        if (by_exit) std::exit(4);
        std::abort();
      });
      loading.join();
    });
    if (by_exit) {
      ASSERT_TRUE(WIFEXITED(status));
      EXPECT_EQ(WEXITSTATUS(status), 4);
    } else {
      ASSERT_TRUE(WIFSIGNALED(status));
      EXPECT_EQ(WTERMSIG(status), SIGABRT);
    }
    EXPECT_EQ(mark.DiedLoading(), "/plugins/ends.so") << (by_exit ? "exit" : "abort");
  }
}

TEST(LoadingMarkTest, AFileThatLoadedIsNoLongerMarked) {
  lm::LoadingMark mark;
  const int status = DieInAChild(mark, [&] {
    lm::Catalog catalog;
    ReadInAChild({plugin::kLedger1, plugin::kUnresolved}, &catalog);
    lm::AheadLoader loader(catalog, catalog.FilesToLoad({1, 38}), &mark);
    if (loader.ReadyAll().ok()) _exit(3);  // a failed load is over too
    Segfault();
  });
  ASSERT_TRUE(WIFSIGNALED(status)) << "exit " << WEXITSTATUS(status);
  EXPECT_FALSE(mark.DiedLoading().has_value());
}

}  // namespace
