#include "supervisor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string_view>

#include "worker_relay.h"

namespace lm {
namespace {

using Clock = std::chrono::steady_clock;

std::string SignalName(int signal_number) {
  const char* abbrev = sigabbrev_np(signal_number);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(signal_number);
}

[[noreturn]] void RunWorker(const WorkerJob& job, int relay_fd) {
  // Everything the worker and its steps print goes to the supervisor, line
  // by line, so what a step printed before it crashed is not lost with it.
  dup2(relay_fd, STDOUT_FILENO);
  dup2(relay_fd, STDERR_FILENO);
  close(relay_fd);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  Status status;
  RelayReporter relay(STDOUT_FILENO);
  try {
    status = job(relay);
  } catch (const std::exception& failure) {
    status = Status::Error(ErrorKind::kMigrationFailed, std::string("unexpected error: ") + failure.what());
  }
  relay.Finished(status);
  std::cout.flush();
  std::fflush(nullptr);
  // No exit handlers or static destructors: the supervisor owns the process's
  // ending, and plugins are never unloaded.
  _exit(status.exit_code());
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
  int wait_status = 0;
  Clock::time_point step_started;  // of the step running last
};

// Replays the worker's stream until the worker has exited (or the running
// step ran out of time and was killed), then whatever it left in the pipe.
// The worker's exit, not the end of the stream, ends the watch: a process a
// step started in the background may hold the pipe open for much longer.
WatchResult Watch(pid_t worker, int stream, RelayReplayer& replayer,
                  std::optional<std::chrono::milliseconds> step_timeout) {
  constexpr int kExitCheckMs = 100;
  WatchResult result;
  uint64_t clocked_starts = 0;  // the step clocked is the one started last
  std::string pending;  // the start of a line whose end has not come yet
  char buffer[8192];
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
  bool exited = false;
  bool open = true;
  // waitpid after every read would cost a system call per report; the
  // worker's exit is looked for when the stream ends or falls silent, after
  // its last word, and at least every kExitCheckMs.
  Clock::time_point next_exit_check = Clock::now() + std::chrono::milliseconds(kExitCheckMs);
  while (!exited) {
    if (replayer.running_step() && clocked_starts != replayer.starts()) {
      clocked_starts = replayer.starts();
      result.step_started = Clock::now();
    }
    int wait_ms = kExitCheckMs;
    if (step_timeout && replayer.running_step()) {
      const auto left = *step_timeout - std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - result.step_started);
      if (left.count() <= 0) {
        kill(worker, SIGKILL);
        result.timed_out = true;
      }
      wait_ms = static_cast<int>(std::clamp<int64_t>(left.count(), 0, kExitCheckMs));
    }
    bool silent = true;
    if (open && !result.timed_out) {
      pollfd ready{stream, POLLIN, 0};
      if (poll(&ready, 1, wait_ms) > 0) {
        ssize_t got = read(stream, buffer, sizeof(buffer));
        if (got > 0) feed(buffer, static_cast<size_t>(got));
        if (got == 0) open = false;
        silent = got <= 0;
      }
    }
    const bool watching = open && !result.timed_out;
    if (watching && !silent && !replayer.final_status() && Clock::now() < next_exit_check) continue;
    next_exit_check = Clock::now() + std::chrono::milliseconds(kExitCheckMs);
    const pid_t ended = waitpid(worker, &result.wait_status, watching ? WNOHANG : 0);
    exited = ended == worker;
  }
  fcntl(stream, F_SETFL, fcntl(stream, F_GETFL) | O_NONBLOCK);
  for (ssize_t got; open && (got = read(stream, buffer, sizeof(buffer))) > 0;) feed(buffer, static_cast<size_t>(got));
  if (!pending.empty()) replayer.Replay(pending);
  return result;
}

}  // namespace

Status RunInWorker(const WorkerJob& job, const Catalog& catalog, const SupervisorOptions& options,
                   Reporter& reporter, const DeathRecorder& record_death) {
  int relay[2];
  if (pipe2(relay, O_CLOEXEC) != 0)
    return Status::Error(ErrorKind::kMigrationFailed, std::string("cannot create a pipe: ") + strerror(errno));
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
    RunWorker(job, relay[1]);
  }
  close(relay[1]);

  RelayReplayer replayer(catalog, reporter);
  const WatchResult watched = Watch(worker, relay[0], replayer, options.step_timeout);
  close(relay[0]);
  const bool timed_out = watched.timed_out;
  const int wait_status = watched.wait_status;
  const Clock::time_point step_started = watched.step_started;
  if (!timed_out && replayer.final_status()) return *replayer.final_status();

  const std::string reason = DeathReason(wait_status, timed_out, options.step_timeout.value_or(std::chrono::milliseconds(0)));
  const std::optional<PlannedStep>& step = replayer.running_step();
  if (!step || step->migration == nullptr) {
    return Status::Error(ErrorKind::kMigrationFailed, "the migration worker " + reason + " outside any step");
  }
  const Migration& migration = *step->migration;
  std::string message = "version " + std::to_string(migration.version) + " (" + std::filesystem::path(migration.file).filename().string() +
                        ") " + reason + " during " + DirectionName(step->direction);
  const auto ran_for = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - step_started);
  reporter.StepFinished(*step, StepOutcome{false, ran_for.count(), reason, ""});
  Status recorded = record_death(*step, reason);
  if (!recorded.ok()) message += " (and the failure could not be recorded: " + recorded.message() + ")";
  return Status::Error(timed_out ? ErrorKind::kStepTimeout : ErrorKind::kStepDied, message);
}

}  // namespace lm
