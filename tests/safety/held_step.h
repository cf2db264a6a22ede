// The handshake with the `hold` plugins' version 2 (plugins/hold.cpp): the
// step writes its pid into a fifo the test reads, then blocks reading a
// second fifo until the test writes to it. Both are events: the test learns
// that the step is running, and which process runs it, without polling, and
// the step goes on only when the test says so.
#ifndef LINK_MIGRATION_TESTS_SAFETY_HELD_STEP_H
#define LINK_MIGRATION_TESTS_SAFETY_HELD_STEP_H

#include <sys/types.h>

#include "safety_env.h"

namespace lm::safety {

class HeldStep {
 public:
  // Makes the two fifos in `ws`'s folder and points params.pid_file and
  // params.fifo at them. Opens both ends the test holds, so neither the
  // step's opens nor the test's block.
  explicit HeldStep(Workspace& ws);
  ~HeldStep();
  HeldStep(const HeldStep&) = delete;
  HeldStep& operator=(const HeldStep&) = delete;

  // Waits (bounded, on the pid fifo) until the step reports its pid; returns
  // it, or -1 when `within` passed first or the fifo's writer left without
  // a whole line. For one step per HeldStep: after the step closes the fifo
  // it reads as ended until another writer opens it.
  pid_t WaitForStep(milliseconds within);
  // Lets the held step go on (writes a byte it reads).
  void Release();
  // Clears params.fifo and params.pid_file: later runs' version 2 does not wait.
  void Disarm();

 private:
  Workspace& ws_;
  int pid_read_fd_ = -1;
  int release_fd_ = -1;
  std::string pid_text_;  // read from the pid fifo, not yet returned
};

}  // namespace lm::safety

#endif  // LINK_MIGRATION_TESTS_SAFETY_HELD_STEP_H
