// Running a program from a test: see README.md. A child process in its own
// process group (so a test can kill a runner and its worker together, as a
// crashed machine would), stdout and stderr captured to files, the exit code
// or signal returned.
//
// Everything here is bounded: Wait takes a deadline and kills the whole group
// when it passes, and waiting is done on a pidfd, not by sleeping.
#ifndef LINK_MIGRATION_TESTS_SUPPORT_SUBPROCESS_H
#define LINK_MIGRATION_TESTS_SUPPORT_SUBPROCESS_H

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace lm::test {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How a finished child ended.
struct ProcessResult {
  int exit_code = -1;      // -1 when killed by a signal
  int signal = 0;          // 0 when it exited
  bool timed_out = false;  // Wait's deadline passed and the group was killed
  std::string out;
  std::string err;
  milliseconds elapsed{0};  // from Start to the end of the wait

  bool exited(int code) const { return signal == 0 && exit_code == code; }
  // "exit 3" / "killed by SIGKILL" / "timed out", then both outputs: for
  // assertion messages.
  std::string Describe() const;
};

// Describe(), for gtest's `<< result`.
std::ostream& operator<<(std::ostream& out, const ProcessResult& result);

struct StartOptions {
  // Read end of a pipe: the child blocks reading it (until EOF) after fork
  // and before exec, so several children can be released at once by
  // closing the write end (which the child closes first). -1: no gate.
  int gate_fd = -1;
  int gate_write_fd = -1;
  // Working directory of the child; empty: the test's.
  std::filesystem::path cwd;
  // Set in the child's environment, over the test's own.
  std::vector<std::pair<std::string, std::string>> env;
  // When >= 0, the child's stdout is this descriptor (say a pipe's write
  // end, for a test that reads the output as it comes) instead of the
  // capture file; the caller still closes its own copy.
  int stdout_fd = -1;
  // When set, the child runs as this user and group, with no supplementary
  // group (a test run as root runs the runner as another account).
  struct Identity {
    uid_t uid;
    gid_t gid;
  };
  std::optional<Identity> run_as;
};

// A shared start signal: children started with Options() wait, after fork
// and before exec, until Release() (or the gate's destruction).
class StartGate {
 public:
  StartGate();
  ~StartGate();
  StartGate(const StartGate&) = delete;
  StartGate& operator=(const StartGate&) = delete;

  StartOptions Options() const;
  void Release();

 private:
  int read_fd_ = -1;
  int write_fd_ = -1;
};

// One child process. Destroying a Process that is still running kills its
// group and reaps it, so no test leaves a runner behind.
class Process {
 public:
  // argv[0] is the program's path. stdout/stderr go to files in
  // `capture_dir` (made when missing; a folder the test does not list).
  static Process Start(const std::vector<std::string>& argv, const std::filesystem::path& capture_dir,
                       const StartOptions& options = {});
  Process(Process&& other) noexcept;
  Process& operator=(Process&&) = delete;
  Process(const Process&) = delete;
  ~Process();

  pid_t pid() const { return pid_; }

  // Waits until the child ends or `timeout` passes (then reports
  // timed_out). Either way anything left of its process group is killed and
  // every member that became our child (see EnableReaping) is reaped.
  ProcessResult Wait(milliseconds timeout);

  // True when the child ends within `within` (a bounded wait on its pidfd,
  // not a sleep); Wait or KillGroup then reaps it.
  bool Ended(milliseconds within = milliseconds(0));

  // SIGKILLs the child's whole process group (runner and worker) and waits
  // until every member is gone, so nothing writes to the store afterwards.
  ProcessResult KillGroup();

  // What the child has written so far.
  std::string CurrentOut() const;

 private:
  Process() = default;
  ProcessResult Finish(bool timed_out);

  pid_t pid_ = -1;
  int pidfd_ = -1;
  bool reaped_ = false;
  Clock::time_point started_;
  std::filesystem::path out_path_, err_path_;
};

// Watches a process the test did not start (a runner's worker) through a
// pidfd, so a pid reused after its exit can never be signalled by mistake.
// Destroying a watch of a process still running SIGKILLs it, and reaps it
// when it is our child (see EnableReaping): no test leaves a worker behind.
class PidWatch {
 public:
  // Throws when no process `pid` exists.
  explicit PidWatch(pid_t pid);
  PidWatch(PidWatch&& other) noexcept;
  PidWatch& operator=(PidWatch&&) = delete;
  PidWatch(const PidWatch&) = delete;
  ~PidWatch();

  pid_t pid() const { return pid_; }
  // True when the process ends within `within` (a bounded wait on the pidfd).
  bool Ended(milliseconds within = milliseconds(0));
  // Sends `signal` through the pidfd; false when the process is gone.
  bool Signal(int signal);

 private:
  pid_t pid_ = -1;
  int pidfd_ = -1;
};

// The children of `pid`'s main thread, from /proc (empty when it has none
// or is gone).
std::vector<pid_t> ChildrenOf(pid_t pid);

// Makes this process the subreaper of its descendants, so the worker of a
// killed runner becomes our child and can be waited for. Call once, early.
void EnableReaping();

// Starts and waits: the usual way to run one command.
ProcessResult Run(const std::vector<std::string>& argv, const std::filesystem::path& capture_dir,
                  milliseconds timeout = milliseconds(60000), const StartOptions& options = {});

// Polls `done` every `step` until it is true or `timeout` passes; returns
// its last value. For what has no event to wait on.
template <class Predicate>
bool PollUntil(Predicate done, milliseconds timeout, milliseconds step = milliseconds(5)) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (Clock::now() >= deadline) return done();
    std::this_thread::sleep_for(step);
  }
}

}  // namespace lm::test

#endif  // LINK_MIGRATION_TESTS_SUPPORT_SUBPROCESS_H
