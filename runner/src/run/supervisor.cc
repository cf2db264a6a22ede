#include "run/supervisor.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>

namespace lm {
namespace {

using Clock = std::chrono::steady_clock;

// The signals that tell the runner to stop: a CI job's timeout, a process
// supervisor, Ctrl-C, a closed terminal.
constexpr int kStopSignals[] = {SIGHUP, SIGINT, SIGTERM};

std::string SignalName(int signal_number) {
  const char* abbrev = sigabbrev_np(signal_number);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(signal_number);
}

std::string StepName(const Migration& migration) {
  return "version " + std::to_string(migration.version) + " (" +
         std::filesystem::path(migration.file).filename().string() + ")";
}

// For the watch, SIGCHLD and the stop signals are blocked and read from a
// descriptor instead, so that the worker's exit and a request to stop are
// events among the others, in order, with no handler. The mask is restored
// (and the worker restores it for itself) when the watch ends.
class WatchedSignals {
 public:
  WatchedSignals() {
    sigemptyset(&watched_);
    sigaddset(&watched_, SIGCHLD);
    for (int stop : kStopSignals) sigaddset(&watched_, stop);
    pthread_sigmask(SIG_BLOCK, &watched_, &previous_);
    fd_ = signalfd(-1, &watched_, SFD_CLOEXEC | SFD_NONBLOCK);
  }
  ~WatchedSignals() {
    if (fd_ >= 0) {
      TakeStopSignal();  // a stop that came after the worker's end changes nothing now
      close(fd_);
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  WatchedSignals(const WatchedSignals&) = delete;
  WatchedSignals& operator=(const WatchedSignals&) = delete;

  int fd() const { return fd_; }
  const sigset_t& previous() const { return previous_; }
  // Reads every signal that arrived; the first stop signal among them, or 0.
  int TakeStopSignal() {
    int stop = 0;
    signalfd_siginfo info{};
    while (read(fd_, &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info)))
      if (stop == 0 && info.ssi_signo != SIGCHLD) stop = static_cast<int>(info.ssi_signo);
    return stop;
  }

 private:
  sigset_t watched_{};
  sigset_t previous_{};
  int fd_ = -1;
};

[[noreturn]] void RunWorker(const WorkerJob& job, pid_t supervisor, const sigset_t& mask, int report_fd,
                            int output_fd) {
  // The worker never outlives the runner: when the runner dies, even by
  // SIGKILL, the kernel kills the worker, whose step then dies with it. A
  // runner that died before this call is seen as a new parent.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != supervisor) _exit(static_cast<int>(ErrorKind::kStepDied));
  pthread_sigmask(SIG_SETMASK, &mask, nullptr);
  // What the steps print goes to the output file, line by line, so that
  // what a step printed before it crashed is not lost with it.
  dup2(output_fd, STDOUT_FILENO);
  dup2(output_fd, STDERR_FILENO);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  Status status;
  RelayReporter relay(report_fd, output_fd);
  try {
    status = job(relay);
  } catch (const std::exception& failure) {
    status = Status::Error(ErrorKind::kMigrationFailed, std::string("unexpected error: ") + failure.what());
  } catch (...) {
    // Anything else must not unwind past the fork into the runner's own
    // code, where this process would go on as a second runner.
    status = Status::Error(ErrorKind::kMigrationFailed, "unexpected error: an exception of unknown type");
  }
  relay.Finished(status);
  // No exit handlers or static destructors: the supervisor owns the process's
  // ending, and plugins are never unloaded.
  _exit(status.exit_code());
}

// How the watch ended, beside what the worker reported.
struct WatchResult {
  int wait_status = 0;
  bool timed_out = false;
  int stop_signal = 0;  // a stop signal that ended the worker, or 0
  Clock::time_point step_started;  // of the step running last
};

// The report pipe, read without blocking.
struct Pipe {
  int fd;
  bool open = true;
  // Reads what is there now, up to one buffer; false when nothing was.
  template <typename OnBytes>
  bool ReadSome(OnBytes&& on_bytes) {
    char buffer[65536];
    ssize_t got;
    while ((got = read(fd, buffer, sizeof(buffer))) < 0 && errno == EINTR) {
    }
    if (got == 0) open = false;
    if (got <= 0) return false;
    on_bytes(std::string_view(buffer, static_cast<size_t>(got)));
    return true;
  }
};

uint64_t FileSize(int fd) {
  struct stat info {};
  return fstat(fd, &info) == 0 ? static_cast<uint64_t>(info.st_size) : 0;
}

// Relays the worker's reports until it has exited, then whatever it left.
// A step's output is shown where the reports say it was printed; a step
// that prints without reporting (a long one) has its output shown when the
// reports have been quiet for kQuietOutputEvery: only then, and only after
// every report written before the output file was measured has been
// replayed, so that output never overtakes a report it followed.
WatchResult Watch(pid_t worker, Pipe& reports, int output, WatchedSignals& signals, RelayReplayer& replayer,
                  const SupervisorOptions& options) {
  constexpr int kQuietOutputEvery = 100;  // ms
  WatchResult result;
  relay::LineSplitter report_lines;
  uint64_t clocked_starts = 0;
  bool killed = false;
  auto kill_worker = [&]() {
    if (!killed) kill(worker, SIGKILL);
    killed = true;
  };
  auto replay_reports = [&](std::string_view bytes) {
    report_lines.Feed(bytes, [&](std::string_view line) { replayer.Replay(line); });
    if (clocked_starts != replayer.starts()) {
      clocked_starts = replayer.starts();
      result.step_started = Clock::now();
    }
  };
  auto show_quiet_output = [&]() {
    const uint64_t printed = FileSize(output);
    if (printed <= replayer.output_shown()) return;
    while (reports.open && reports.ReadSome(replay_reports)) {
    }
    replayer.ShowOutputUpTo(printed);
  };
  for (bool exited = false; !exited;) {
    int wait_ms = kQuietOutputEvery;
    const bool in_step = replayer.phase() == WorkerPhase::kInStep;
    if (options.step_timeout && in_step && !killed) {
      const auto left = *options.step_timeout - (Clock::now() - result.step_started);
      if (left <= Clock::duration::zero()) {
        result.timed_out = true;
        kill_worker();
      } else {
        wait_ms = std::min(wait_ms, static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(left).count()));
      }
    }
    pollfd watched[2] = {{signals.fd(), POLLIN, 0}, {reports.open ? reports.fd : -1, POLLIN, 0}};
    const int ready = poll(watched, 2, wait_ms);
    if (ready < 0 && errno != EINTR) {
      kill_worker();  // cannot watch it: end it rather than let it run unwatched
      while (waitpid(worker, &result.wait_status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    if (ready == 0) show_quiet_output();
    if (watched[1].revents != 0) reports.ReadSome(replay_reports);
    if (watched[0].revents != 0) {
      const int stop = signals.TakeStopSignal();
      // A stop after the worker's last word changes nothing: it only exits.
      if (stop != 0 && replayer.phase() != WorkerPhase::kFinished && !killed) {
        result.stop_signal = stop;
        kill_worker();
      }
      exited = waitpid(worker, &result.wait_status, WNOHANG) == worker;
    }
  }
  // Everything it wrote before it exited is in the pipe and the file now.
  while (reports.open && reports.ReadSome(replay_reports)) {
  }
  if (report_lines.has_partial()) replayer.Replay(report_lines.TakePartial());  // refused: not closed
  replayer.ShowOutputUpTo(FileSize(output));
  replayer.EndOutputLine();
  return result;
}

// Describes how the worker ended when it did not say so itself.
std::string DeathReason(const WatchResult& watched, const SupervisorOptions& options) {
  if (watched.stop_signal != 0)
    return "was stopped: the runner got " + SignalName(watched.stop_signal) + " and killed the worker";
  if (watched.timed_out)
    return "timed out after " + std::to_string(options.step_timeout.value_or(std::chrono::milliseconds(0)).count()) +
           " ms and was killed";
  if (WIFSIGNALED(watched.wait_status)) return "died with " + SignalName(WTERMSIG(watched.wait_status));
  if (WIFEXITED(watched.wait_status))
    return "ended the process with exit(" + std::to_string(WEXITSTATUS(watched.wait_status)) + ")";
  return "ended unexpectedly";
}

// The answer, from what the worker reported and how it ended.
Status Judge(const WatchResult& watched, const RelayReplayer& replayer, const SupervisorOptions& options,
             Reporter& reporter, const DeathRecorder& record_death) {
  const int wait_status = watched.wait_status;
  const std::optional<Status>& final_status = replayer.final_status();
  // The worker's last word stands only when its exit says the same.
  if (final_status && WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == final_status->exit_code())
    return *final_status;

  const std::string reason = DeathReason(watched, options);
  const ErrorKind kind = watched.stop_signal != 0 ? ErrorKind::kInterrupted
                         : watched.timed_out       ? ErrorKind::kStepTimeout
                                                   : ErrorKind::kStepDied;
  switch (replayer.phase()) {
    case WorkerPhase::kFinished:
      return Status::Error(ErrorKind::kStepDied, "the migration worker " + reason +
                                                     " after its last report; 'status' shows what the store holds");
    case WorkerPhase::kLoading:
      if (kind != ErrorKind::kInterrupted)
        return Status::Error(ErrorKind::kPluginLoad, replayer.loading_file() + ": the worker " + reason +
                                                         " while loading this plugin; no step ran");
      [[fallthrough]];
    case WorkerPhase::kPreparing:
      return Status::Error(kind, "the migration worker " + reason + " before its first step; nothing was changed");
    case WorkerPhase::kReady:
      return Status::Error(kind, "the migration worker " + reason + " between two steps");
    case WorkerPhase::kInStep:
      break;
  }
  const PlannedStep& step = *replayer.running_step();
  std::string message = StepName(*step.migration) + " " + reason + " during " + DirectionName(step.direction);
  const auto ran_for = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - watched.step_started);
  reporter.StepFinished(step, StepOutcome{false, ran_for.count(), reason, ""});
  const Status recorded = record_death(step, reason);
  if (!recorded.ok()) message += " (and the failure could not be recorded: " + recorded.message() + ")";
  return Status::Error(kind, message);
}

}  // namespace

Status RunInWorker(const WorkerJob& job, const Catalog& catalog, const SupervisorOptions& options,
                   Reporter& reporter, const DeathRecorder& record_death) {
  int report_pipe[2];
  if (pipe2(report_pipe, O_CLOEXEC) != 0)
    return Status::Error(ErrorKind::kMigrationFailed, std::string("cannot create a pipe: ") + strerror(errno));
  fcntl(report_pipe[0], F_SETFL, fcntl(report_pipe[0], F_GETFL) | O_NONBLOCK);
  // The steps' output goes to a file in memory, appended to, not to a pipe:
  // a step never waits for the supervisor to read, and what it printed has
  // an offset that the reports can name (worker_relay.h).
  const int output = memfd_create("link-migration-step-output", MFD_CLOEXEC);
  WatchedSignals signals;
  if (output < 0 || fcntl(output, F_SETFL, O_APPEND) != 0 || signals.fd() < 0) {
    const std::string reason = strerror(errno);
    for (int fd : {report_pipe[0], report_pipe[1], output})
      if (fd >= 0) close(fd);
    return Status::Error(ErrorKind::kMigrationFailed, "cannot set up the worker's channels: " + reason);
  }
  std::cout.flush();
  std::fflush(nullptr);
  const pid_t supervisor = getpid();
  const pid_t worker = fork();
  if (worker == 0) {
    close(report_pipe[0]);
    close(signals.fd());
    RunWorker(job, supervisor, signals.previous(), report_pipe[1], output);
  }
  close(report_pipe[1]);
  if (worker < 0) {
    const std::string reason = strerror(errno);
    close(report_pipe[0]);
    close(output);
    return Status::Error(ErrorKind::kMigrationFailed, "cannot fork a worker: " + reason);
  }
  RelayReplayer replayer(catalog, reporter, output);
  Pipe reports{report_pipe[0]};
  const WatchResult watched = Watch(worker, reports, output, signals, replayer, options);
  close(report_pipe[0]);
  close(output);
  return Judge(watched, replayer, options, reporter, record_death);
}

}  // namespace lm
