// A thread that runs beside its creator's own work. Linux queues a new
// thread on its creator's CPU; on the two-vCPU machines the benchmark runs
// on it then often waits there until the creator blocks (a C test: 0.1 to
// 3 ms, about as long as the creator's own work), even with the other CPU
// idle, and moving it once it is queued stalled the creator for up to a
// millisecond. So the thread is created bound to the allowed CPUs other than
// its creator's, and takes all of them back once it runs, so that the
// scheduler may still move it where there is room.
#ifndef LINK_MIGRATION_RUNNER_OVERLAP_THREAD_H
#define LINK_MIGRATION_RUNNER_OVERLAP_THREAD_H

#include <pthread.h>
#include <sched.h>

#include <functional>

namespace lm {

class OverlapThread {
 public:
  OverlapThread() = default;
  // Joins a thread still running: nothing it runs may outlive its owner.
  ~OverlapThread();
  OverlapThread(const OverlapThread&) = delete;
  OverlapThread& operator=(const OverlapThread&) = delete;

  // Runs `work` on a new thread started on another allowed CPU. False, with
  // nothing started, when the caller may run on one CPU only or no thread
  // could be made: the caller then does the work itself. `work` must not
  // throw.
  bool Start(std::function<void()> work);
  // Waits for the work to end; at once when none was started.
  void Join();

  // Where the last thread was started from and where it first ran (-1
  // before a start), for tests.
  int creator_cpu() const { return creator_cpu_; }
  int first_cpu() const { return first_cpu_; }

 private:
  static void* Run(void* self);

  std::function<void()> work_;
  cpu_set_t all_cpus_{};
  int creator_cpu_ = -1;
  int first_cpu_ = -1;
  pthread_t thread_{};
  bool running_ = false;
};

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_OVERLAP_THREAD_H
