#include "run/overlap_thread.h"

#include <utility>

namespace lm {

OverlapThread::~OverlapThread() { Join(); }

bool OverlapThread::Start(std::function<void()> work) {
  if (running_) return false;
  if (sched_getaffinity(0, sizeof all_cpus_, &all_cpus_) != 0) return false;
  cpu_set_t others = all_cpus_;
  creator_cpu_ = sched_getcpu();
  first_cpu_ = -1;
  if (creator_cpu_ < 0 || creator_cpu_ >= CPU_SETSIZE) return false;
  CPU_CLR(creator_cpu_, &others);
  if (CPU_COUNT(&others) == 0) return false;

  pthread_attr_t attributes;
  if (pthread_attr_init(&attributes) != 0) return false;
  work_ = std::move(work);
  running_ = pthread_attr_setaffinity_np(&attributes, sizeof others, &others) == 0 &&
             pthread_create(&thread_, &attributes, &OverlapThread::Run, this) == 0;
  pthread_attr_destroy(&attributes);
  if (!running_) work_ = nullptr;
  return running_;
}

void OverlapThread::Join() {
  if (!running_) return;
  pthread_join(thread_, nullptr);
  running_ = false;
  work_ = nullptr;
}

void* OverlapThread::Run(void* self) {
  auto* thread = static_cast<OverlapThread*>(self);
  thread->first_cpu_ = sched_getcpu();
  sched_setaffinity(0, sizeof thread->all_cpus_, &thread->all_cpus_);
  thread->work_();
  return nullptr;
}

}  // namespace lm
