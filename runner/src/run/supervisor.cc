#include "run/supervisor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <string_view>
#include <vector>

#include "run/worker_relay.h"

namespace lm {
namespace {

using Clock = std::chrono::steady_clock;

std::string SignalName(int signal_number) {
  const char* abbrev = sigabbrev_np(signal_number);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(signal_number);
}

[[noreturn]] void RunWorker(const WorkerJob& job, LoadingMark& loading, int relay_fd) {
  // Everything the worker and its steps print goes to the supervisor, line
  // by line, so what a step printed before it crashed is not lost with it.
  dup2(relay_fd, STDOUT_FILENO);
  dup2(relay_fd, STDERR_FILENO);
  close(relay_fd);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  loading.WatchForDeaths();
  Status status;
  RelayReporter relay(STDOUT_FILENO);
  try {
    status = job(relay, loading);
  } catch (const std::exception& failure) {
    status = Status::Error(ErrorKind::kMigrationFailed, std::string("unexpected error: ") + failure.what());
  }
  relay.Finished(status);  // flushes what the steps printed first
  // That was the last word. With the stream closed the supervisor can answer
  // while this process still unmaps its plugins: a thousand plugin files take
  // milliseconds to unmap, and nothing here holds the store or its lock now.
  close(STDOUT_FILENO);
  close(STDERR_FILENO);
  // No exit handlers or static destructors: the supervisor owns the process's
  // ending, and plugins are never unloaded.
  _exit(status.exit_code());
}

std::string StepName(const Migration& migration) {
  return "version " + std::to_string(migration.version) + " (" +
         std::filesystem::path(migration.file).filename().string() + ")";
}

// The worker died while `plugin` loaded: its static initialisers are to
// blame, not the step that may have been running beside them. That step
// died with the worker all the same, and is recorded as a death would be
// (unless the store shows it committed first).
Status LoadingDied(const std::string& plugin, const std::string& reason, const std::optional<PlannedStep>& step,
                   Clock::time_point step_started, Reporter& reporter, const DeathRecorder& record_death) {
  const std::string name = std::filesystem::path(plugin).filename().string();
  std::string message = "plugin " + name + " " + reason + " while loading";
  if (step && step->migration != nullptr) {
    const std::string beside = "the worker " + reason + " while plugin " + name + " loaded";
    const auto ran_for = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - step_started);
    reporter.StepFinished(*step, StepOutcome{false, ran_for.count(), beside, ""});
    message += "; " + StepName(*step->migration) + " was running beside it";
    Status recorded = record_death(*step, beside);
    if (!recorded.ok()) message += " (and its failure could not be recorded: " + recorded.message() + ")";
  }
  return Status::Error(ErrorKind::kPluginLoad, message);
}

// Describes how the worker ended when it did not say so itself.
std::string DeathReason(int wait_status, bool timed_out, std::chrono::milliseconds timeout) {
  if (timed_out) return "timed out after " + std::to_string(timeout.count()) + " ms and was killed";
  if (WIFSIGNALED(wait_status)) return "died with " + SignalName(WTERMSIG(wait_status));
  if (WIFEXITED(wait_status)) return "ended the process with exit(" + std::to_string(WEXITSTATUS(wait_status)) + ")";
  return "ended unexpectedly";
}

struct WatchResult {
  bool timed_out = false;
  bool reaped = false;  // or left exiting, its final report read
  int wait_status = 0;
  Clock::time_point step_started;  // of the step running last
};

// A descriptor that becomes readable when `pid` has exited, or -1 where the
// kernel has no pidfd (before Linux 5.3).
int OpenExitHandle(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  return -1;
#endif
}

// Replays the worker's stream until the worker has exited (or the running
// step ran out of time and was killed), then whatever it left in the pipe.
// The worker's exit, not the end of the stream, ends the watch: a process a
// step started in the background may hold the pipe open for much longer.
// The one exception is an end of the stream after the worker's final report:
// the worker closes its ends once it has said everything, and what is left
// of its exit (unmapping its plugins) need not hold up the answer.
//
// The supervisor reads the stream at most once per kReadEvery. Waking the
// other process for each report cost more than a fast step's own work (1,000
// steps: a fifth more wall time than the same SQL run in one process, most of
// it system time); read in batches they cost almost nothing. A report after a
// quiet spell is read at once; the ones that follow it close behind wait at
// most kReadEvery, in the kernel's pipe: a worker that dies leaves them all
// behind. Without a pidfd to sleep on the worker's exit, the supervisor wakes
// for each report as before.
WatchResult Watch(pid_t worker, int stream, RelayReplayer& replayer, const SupervisorOptions& options) {
  const std::optional<std::chrono::milliseconds>& step_timeout = options.step_timeout;
  constexpr auto kReadEvery = std::chrono::milliseconds(10);
  constexpr int kExitCheckMs = 100;
  constexpr int kReadsPerRound = 16;
  WatchResult result;
  uint64_t clocked_starts = 0;  // the step clocked is the one started last
  std::string pending;  // the start of a line whose end has not come yet
  std::vector<char> buffer(size_t{64} * 1024);
  // Whole lines are replayed straight from the buffer; only a line cut off
  // at its end is copied, to wait for the rest.
  auto feed = [&](const char* bytes, size_t size) {
    std::string_view data(bytes, size);
    for (size_t end; (end = data.find('\n')) != std::string_view::npos; data.remove_prefix(end + 1)) {
      if (pending.empty()) {
        replayer.Replay(data.substr(0, end));
      } else {
        pending.append(data.data(), end);
        replayer.Replay(pending);
        pending.clear();
      }
    }
    pending.append(data);
  };
  bool open = true;
  // Reads what is in the pipe now, up to a bound so that a process writing
  // without pause cannot keep the supervisor from its clock.
  auto drain = [&]() {
    size_t total = 0;
    for (int reads = 0; open && reads < kReadsPerRound; ++reads) {
      const ssize_t got = read(stream, buffer.data(), buffer.size());
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) break;  // EAGAIN: nothing more for now
      if (got == 0) open = false;
      feed(buffer.data(), static_cast<size_t>(got));
      total += static_cast<size_t>(got);
    }
    return total;
  };
  fcntl(stream, F_SETFL, fcntl(stream, F_GETFL) | O_NONBLOCK);
  const int exit_handle = options.read_every_report ? -1 : OpenExitHandle(worker);
  Clock::time_point next_read = Clock::now();
  bool exited = false;
  while (!exited) {
    if (replayer.running_step() && clocked_starts != replayer.starts()) {
      clocked_starts = replayer.starts();
      result.step_started = Clock::now();
    }
    int wait_ms = kExitCheckMs;
    if (step_timeout && replayer.running_step() && !result.timed_out) {
      const auto left = *step_timeout - std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - result.step_started);
      if (left.count() <= 0) {
        kill(worker, SIGKILL);
        result.timed_out = true;
      }
      wait_ms = static_cast<int>(std::clamp<int64_t>(left.count(), 0, kExitCheckMs));
    }
    const bool reading = open && !result.timed_out;
    const bool batching = exit_handle >= 0;
    pollfd watched[2];
    nfds_t count = 0;
    if (batching) watched[count++] = pollfd{exit_handle, POLLIN, 0};
    pollfd* stream_watch = nullptr;
    if (reading) {
      // Not yet due, the stream is still watched for its end (POLLHUP comes
      // unasked), though not for its reports.
      const auto until_read = std::chrono::ceil<std::chrono::milliseconds>(next_read - Clock::now());
      const bool due = !batching || until_read.count() <= 0;
      if (!due) wait_ms = std::min(wait_ms, static_cast<int>(until_read.count()));
      stream_watch = &watched[count++];
      *stream_watch = pollfd{stream, static_cast<short>(due ? POLLIN : 0), 0};
    }
    poll(watched, count, wait_ms);
    const bool ended = stream_watch != nullptr && (stream_watch->revents & POLLHUP) != 0;
    if (reading && (ended || Clock::now() >= next_read) && drain() > 0 && batching) next_read = Clock::now() + kReadEvery;
    if (ended) {
      while (open && drain() > 0) {
      }
    }
    if (!open && replayer.final_status()) break;
    if (batching) {
      if ((watched[0].revents & POLLIN) != 0) exited = waitpid(worker, &result.wait_status, 0) == worker;
    } else {
      exited = waitpid(worker, &result.wait_status, reading ? WNOHANG : 0) == worker;
    }
  }
  result.reaped = exited;
  if (exit_handle >= 0) close(exit_handle);
  while (open && drain() > 0) {
  }
  if (!pending.empty()) replayer.Replay(pending);
  // A start read only with the worker's last reports is clocked at its
  // reading, not left at the clock's epoch.
  if (replayer.running_step() && clocked_starts != replayer.starts()) result.step_started = Clock::now();
  return result;
}

// Workers that Watch left exiting. Each is collected before the next worker
// forks, so that a process that runs many (the tests) keeps no zombies; a
// process that runs one leaves it to the system. Not on a thread of its own:
// a thread ending just as the next worker forks can leave the worker a lock
// held for ever (ASan's allocator did, in the tests).
std::mutex left_exiting_mutex;
std::vector<pid_t> left_exiting;

void LeaveExiting(pid_t worker) {
  std::lock_guard<std::mutex> lock(left_exiting_mutex);
  left_exiting.push_back(worker);
}

void ReapWorkersLeftExiting() {
  std::lock_guard<std::mutex> lock(left_exiting_mutex);
  for (pid_t worker : left_exiting) {
    while (waitpid(worker, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  left_exiting.clear();
}

}  // namespace

Status RunInWorker(const WorkerJob& job, const Catalog& catalog, const SupervisorOptions& options,
                   Reporter& reporter, const DeathRecorder& record_death) {
  ReapWorkersLeftExiting();
  int relay[2];
  if (pipe2(relay, O_CLOEXEC) != 0)
    return Status::Error(ErrorKind::kMigrationFailed, std::string("cannot create a pipe: ") + strerror(errno));
  // Room for the reports of many fast steps between two reads (Watch); where
  // the system allows less, the worker just waits for the next read sooner.
  fcntl(relay[0], F_SETPIPE_SZ, 1 << 20);
  LoadingMark loading;
  std::cout.flush();
  std::fflush(nullptr);
  const pid_t worker = fork();
  if (worker < 0) {
    close(relay[0]);
    close(relay[1]);
    return Status::Error(ErrorKind::kMigrationFailed, std::string("cannot fork a worker: ") + strerror(errno));
  }
  if (worker == 0) {
    close(relay[0]);
    RunWorker(job, loading, relay[1]);
  }
  close(relay[1]);

  RelayReplayer replayer(catalog, reporter);
  const WatchResult watched = Watch(worker, relay[0], replayer, options);
  close(relay[0]);
  if (!watched.reaped) LeaveExiting(worker);
  const bool timed_out = watched.timed_out;
  const int wait_status = watched.wait_status;
  const Clock::time_point step_started = watched.step_started;
  if (!timed_out && replayer.final_status()) return *replayer.final_status();

  const std::string reason = DeathReason(wait_status, timed_out, options.step_timeout.value_or(std::chrono::milliseconds(0)));
  const std::optional<PlannedStep>& step = replayer.running_step();
  if (std::optional<std::string> plugin = loading.DiedLoading(); plugin && !timed_out)
    return LoadingDied(*plugin, reason, step, step_started, reporter, record_death);
  if (!step || step->migration == nullptr) {
    return Status::Error(ErrorKind::kMigrationFailed, "the migration worker " + reason + " outside any step");
  }
  const Migration& migration = *step->migration;
  std::string message = StepName(migration) + " " + reason + " during " + DirectionName(step->direction);
  const auto ran_for = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - step_started);
  reporter.StepFinished(*step, StepOutcome{false, ran_for.count(), reason, ""});
  Status recorded = record_death(*step, reason);
  if (!recorded.ok()) message += " (and the failure could not be recorded: " + recorded.message() + ")";
  return Status::Error(timed_out ? ErrorKind::kStepTimeout : ErrorKind::kStepDied, message);
}

}  // namespace lm
