#include "supervisor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "worker_relay.h"

namespace lm {
namespace {

using Clock = std::chrono::steady_clock;

std::string SignalName(int signal_number) {
  const char* abbrev = sigabbrev_np(signal_number);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(signal_number);
}

[[noreturn]] void RunWorker(const WorkerJob& job, int relay_fd) {
  // Line-buffered, so what a step printed before it crashed is not lost
  // with the process.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  Status status;
  RelayReporter relay(relay_fd);
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
  std::string pending;
  std::optional<int64_t> timed_step;  // the version whose clock runs
  Clock::time_point step_started;
  bool timed_out = false;
  char buffer[8192];
  for (;;) {
    int wait_ms = -1;
    if (replayer.running_step()) {
      const int64_t version = replayer.running_step()->migration->version;
      if (timed_step != version) {
        timed_step = version;
        step_started = Clock::now();
      }
    }
    if (options.step_timeout && replayer.running_step()) {
      auto left = *options.step_timeout - std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - step_started);
      if (left.count() <= 0) {
        kill(worker, SIGKILL);
        timed_out = true;
        break;
      }
      wait_ms = static_cast<int>(std::min<int64_t>(left.count(), 60000));
    }
    pollfd ready{relay[0], POLLIN, 0};
    int events = poll(&ready, 1, wait_ms);
    if (events < 0 && errno == EINTR) continue;
    if (events == 0) continue;  // the timeout is checked at the top
    ssize_t got = read(relay[0], buffer, sizeof(buffer));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // the worker is gone
    pending.append(buffer, static_cast<size_t>(got));
    for (size_t end; (end = pending.find('\n')) != std::string::npos; pending.erase(0, end + 1))
      replayer.Replay(pending.substr(0, end));
  }
  close(relay[0]);

  int wait_status = 0;
  while (waitpid(worker, &wait_status, 0) < 0 && errno == EINTR) {
  }
  if (!timed_out && replayer.final_status()) return *replayer.final_status();

  const std::string reason = DeathReason(wait_status, timed_out, options.step_timeout.value_or(std::chrono::milliseconds(0)));
  const std::optional<PlannedStep>& step = replayer.running_step();
  if (!step || step->migration == nullptr) {
    return Status::Error(ErrorKind::kMigrationFailed, "the migration worker " + reason + " outside any step");
  }
  const Migration& migration = *step->migration;
  std::string message = "version " + std::to_string(migration.version) + " (" + migration.file.filename().string() +
                        ") " + reason + " during " + DirectionName(step->direction);
  const auto ran_for = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - step_started);
  reporter.StepFinished(*step, StepOutcome{false, ran_for.count(), reason, ""});
  Status recorded = record_death(*step, reason);
  if (!recorded.ok()) message += " (and the failure could not be recorded: " + recorded.message() + ")";
  return Status::Error(timed_out ? ErrorKind::kStepTimeout : ErrorKind::kStepDied, message);
}

}  // namespace lm
