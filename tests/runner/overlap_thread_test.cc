// The thread the records look runs on (runner/src/overlap_thread.h): started
// on a CPU other than its creator's, free to run on any allowed CPU once it
// runs, joined before its owner goes; with a single allowed CPU none starts
// and the caller does the work itself.
#include "run/overlap_thread.h"

#include <gtest/gtest.h>
#include <sched.h>

#include <atomic>
#include <thread>

namespace {

cpu_set_t AllowedCpus() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  EXPECT_EQ(sched_getaffinity(0, sizeof allowed, &allowed), 0);
  return allowed;
}

int AllowedCpuCount() {
  const cpu_set_t allowed = AllowedCpus();
  return CPU_COUNT(&allowed);
}

TEST(OverlapThreadTest, StartsOnAnotherCpuThenMayRunOnAny) {
  const cpu_set_t allowed = AllowedCpus();
  if (AllowedCpuCount() < 2) GTEST_SKIP() << "needs two allowed CPUs; this process has one";

  lm::OverlapThread thread;
  cpu_set_t while_working;
  CPU_ZERO(&while_working);
  std::atomic<bool> worked{false};
  ASSERT_TRUE(thread.Start([&] {
    sched_getaffinity(0, sizeof while_working, &while_working);
    worked = true;
  }));
  thread.Join();

  EXPECT_TRUE(worked);
  ASSERT_GE(thread.creator_cpu(), 0);
  EXPECT_NE(thread.first_cpu(), thread.creator_cpu());
  EXPECT_TRUE(CPU_ISSET(thread.first_cpu(), &allowed));
  EXPECT_TRUE(CPU_EQUAL(&while_working, &allowed));
}

TEST(OverlapThreadTest, RunsBesideACreatorThatKeepsItsCpuBusy) {
  if (AllowedCpuCount() < 2) GTEST_SKIP() << "needs two allowed CPUs; this process has one";
  // The creator never blocks until the work has run: a thread left queued
  // behind it would only run when the creator's time slice ran out.
  lm::OverlapThread thread;
  std::atomic<bool> worked{false};
  ASSERT_TRUE(thread.Start([&] { worked = true; }));
  while (!worked) {
  }
  thread.Join();
  EXPECT_NE(thread.first_cpu(), thread.creator_cpu());
}

TEST(OverlapThreadTest, TheOwnerWaitsForTheWork) {
  if (AllowedCpuCount() < 2) GTEST_SKIP() << "needs two allowed CPUs; this process has one";
  std::atomic<bool> finished{false};
  {
    lm::OverlapThread thread;
    ASSERT_TRUE(thread.Start([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      finished = true;
    }));
  }
  EXPECT_TRUE(finished);
}

TEST(OverlapThreadTest, WithOneAllowedCpuNothingStarts) {
  // On a thread of its own, so that the test's main thread keeps its CPUs.
  std::thread confined([] {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(sched_getcpu(), &one);
    ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);

    lm::OverlapThread thread;
    bool ran = false;
    EXPECT_FALSE(thread.Start([&] { ran = true; }));
    thread.Join();
    EXPECT_FALSE(ran);
  });
  confined.join();
}

TEST(OverlapThreadTest, JoiningWithoutAStartReturnsAtOnce) {
  lm::OverlapThread thread;
  thread.Join();
  EXPECT_EQ(thread.first_cpu(), -1);
}

}  // namespace
