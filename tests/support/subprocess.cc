#include "support/subprocess.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <stdexcept>
#include <utility>

#include "support/files.h"

extern char** environ;

namespace lm::test {
namespace {

std::runtime_error SystemError(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

int OpenCapture(const std::filesystem::path& path) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw SystemError("cannot create " + path.string());
  return fd;
}

// The test's environment with `overrides` set: "NAME=value" strings.
std::vector<std::string> ChildEnvironment(const std::vector<std::pair<std::string, std::string>>& overrides) {
  std::map<std::string, std::string> variables;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string text = *entry;
    const size_t equals = text.find('=');
    if (equals != std::string::npos) variables[text.substr(0, equals)] = text.substr(equals + 1);
  }
  for (const auto& [name, value] : overrides) variables[name] = value;
  std::vector<std::string> lines;
  for (const auto& [name, value] : variables) lines.push_back(name + "=" + value);
  return lines;
}

// NULL-terminated pointers into `texts`, for exec.
std::vector<char*> CStrings(std::vector<std::string>& texts) {
  std::vector<char*> pointers;
  for (std::string& text : texts) pointers.push_back(text.data());
  pointers.push_back(nullptr);
  return pointers;
}

// In the child between fork and exec: only async-signal-safe calls (every
// allocation was made before the fork).
[[noreturn]] void ExecChild(char* const* argv, char* const* envp, const StartOptions& options, int out_fd,
                            int err_fd) {
  setpgid(0, 0);
  if (options.gate_fd >= 0) {
    if (options.gate_write_fd >= 0) close(options.gate_write_fd);
    char byte;
    while (true) {
      ssize_t got = read(options.gate_fd, &byte, 1);
      if (got == 0 || (got < 0 && errno != EINTR)) break;
    }
  }
  if (options.run_as && (setgroups(0, nullptr) != 0 || setgid(options.run_as->gid) != 0 ||
                         setuid(options.run_as->uid) != 0))
    _exit(126);
  if (!options.cwd.empty() && chdir(options.cwd.c_str()) != 0) _exit(126);
  int null_fd = open("/dev/null", O_RDONLY);
  if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0) _exit(126);
  if (options.stdout_fd >= 0) out_fd = options.stdout_fd;
  if (dup2(out_fd, STDOUT_FILENO) < 0 || dup2(err_fd, STDERR_FILENO) < 0) _exit(126);
  execve(argv[0], argv, envp);
  _exit(127);
}

}  // namespace

StartGate::StartGate() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw SystemError("pipe2");
  read_fd_ = fds[0];
  write_fd_ = fds[1];
}

StartGate::~StartGate() {
  Release();
  if (read_fd_ >= 0) close(read_fd_);
}

void StartGate::Release() {
  if (write_fd_ >= 0) close(std::exchange(write_fd_, -1));
}

StartOptions StartGate::Options() const {
  StartOptions options;
  options.gate_fd = read_fd_;
  options.gate_write_fd = write_fd_;
  return options;
}

std::string ProcessResult::Describe() const {
  std::string text;
  if (timed_out) {
    text = "timed out (killed)";
  } else if (signal != 0) {
    text = std::string("killed by SIG") + (sigabbrev_np(signal) ? sigabbrev_np(signal) : "?");
  } else {
    text = "exit " + std::to_string(exit_code);
  }
  return text + " after " + std::to_string(elapsed.count()) + " ms\n--- stdout ---\n" + out + "--- stderr ---\n" + err;
}

std::ostream& operator<<(std::ostream& out, const ProcessResult& result) { return out << result.Describe(); }

Process Process::Start(const std::vector<std::string>& argv, const std::filesystem::path& capture_dir,
                       const StartOptions& options) {
  static std::atomic<int> counter{0};
  const std::string stem = "proc-" + std::to_string(++counter);
  std::filesystem::create_directories(capture_dir);
  Process process;
  process.out_path_ = capture_dir / (stem + ".out");
  process.err_path_ = capture_dir / (stem + ".err");
  std::vector<std::string> args = argv;
  std::vector<std::string> environment = ChildEnvironment(options.env);
  const std::vector<char*> arg_pointers = CStrings(args);
  const std::vector<char*> env_pointers = CStrings(environment);
  const int out_fd = OpenCapture(process.out_path_);
  const int err_fd = OpenCapture(process.err_path_);
  process.started_ = Clock::now();
  const pid_t pid = fork();
  if (pid < 0) throw SystemError("fork");
  if (pid == 0) ExecChild(arg_pointers.data(), env_pointers.data(), options, out_fd, err_fd);
  close(out_fd);
  close(err_fd);
  setpgid(pid, pid);  // also in the parent: no race with a kill right after Start
  process.pid_ = pid;
  process.pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (process.pidfd_ < 0) throw SystemError("pidfd_open");
  return process;
}

Process::Process(Process&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      pidfd_(std::exchange(other.pidfd_, -1)),
      reaped_(std::exchange(other.reaped_, true)),
      started_(other.started_),
      out_path_(std::move(other.out_path_)),
      err_path_(std::move(other.err_path_)) {}

Process::~Process() {
  if (pid_ > 0 && !reaped_) KillGroup();
  if (pidfd_ >= 0) close(pidfd_);
}

bool Process::Ended(milliseconds within) {
  if (reaped_) return true;
  pollfd ready{pidfd_, POLLIN, 0};
  return poll(&ready, 1, static_cast<int>(within.count())) > 0;
}

ProcessResult Process::Finish(bool timed_out) {
  // The group is killed while its leader is still unreaped, so the group id
  // cannot belong to anyone else yet; then the leader is reaped, then every
  // member that became our child (a worker orphaned by a killed runner, see
  // EnableReaping), so nothing of the run is left writing to the store.
  kill(-pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  const Clock::time_point ended = Clock::now();
  int member_status;
  while (waitpid(-pid_, &member_status, 0) > 0 || errno == EINTR) {
  }
  reaped_ = true;
  ProcessResult result;
  result.elapsed = std::chrono::duration_cast<milliseconds>(ended - started_);
  result.timed_out = timed_out;
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  result.out = ReadFile(out_path_);
  result.err = ReadFile(err_path_);
  return result;
}

ProcessResult Process::Wait(milliseconds timeout) {
  if (reaped_) throw std::logic_error("Process::Wait: already waited for");
  return Finish(/*timed_out=*/!Ended(timeout));
}

ProcessResult Process::KillGroup() {
  if (reaped_) throw std::logic_error("Process::KillGroup: already waited for");
  return Finish(/*timed_out=*/false);
}

std::string Process::CurrentOut() const { return ReadFile(out_path_); }

PidWatch::PidWatch(pid_t pid) : pid_(pid) {
  pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd_ < 0) throw SystemError("pidfd_open " + std::to_string(pid));
}

PidWatch::PidWatch(PidWatch&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), pidfd_(std::exchange(other.pidfd_, -1)) {}

PidWatch::~PidWatch() {
  if (pidfd_ < 0) return;
  if (!Ended()) {
    Signal(SIGKILL);
    Ended(milliseconds(10000));
  }
  // Reaped only when it became our child; anyone else's is theirs to reap.
  siginfo_t info{};
  while (waitid(P_PIDFD, static_cast<id_t>(pidfd_), &info, WEXITED | WNOHANG) < 0 && errno == EINTR) {
  }
  close(pidfd_);
}

bool PidWatch::Ended(milliseconds within) {
  pollfd ready{pidfd_, POLLIN, 0};
  return poll(&ready, 1, static_cast<int>(within.count())) > 0;
}

bool PidWatch::Signal(int signal) {
  return syscall(SYS_pidfd_send_signal, pidfd_, signal, nullptr, 0) == 0;
}

std::vector<pid_t> ChildrenOf(pid_t pid) {
  std::vector<pid_t> children;
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  for (pid_t child; in >> child;) children.push_back(child);
  return children;
}

void EnableReaping() {
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) throw SystemError("prctl(PR_SET_CHILD_SUBREAPER)");
}

ProcessResult Run(const std::vector<std::string>& argv, const std::filesystem::path& capture_dir,
                  milliseconds timeout, const StartOptions& options) {
  return Process::Start(argv, capture_dir, options).Wait(timeout);
}

}  // namespace lm::test
