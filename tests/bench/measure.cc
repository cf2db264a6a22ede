// Runs one command and reports its wall time and peak RSS, like GNU time's
// %e and %M but in microseconds, with no package needed:
//
//   lm_bench_measure RESULT_FILE COMMAND [ARG]...
//
// writes "<elapsed us> <peak RSS KiB> <exit code> <CPU us>" to RESULT_FILE,
// CPU being user + system time of the command and of every process it
// started. The command inherits stdin, stdout and stderr. The elapsed time
// ends when the command exits. Peak RSS is the largest of wait4's ru_maxrss
// over the command and every process it started: this program is their
// subreaper, so a child the command left to finish exiting (the runner's
// worker, still unmapping its plugins) is waited for and counted too, and
// the next measurement does not start beside it.
// Why a program of its own: Linux counts the memory a process had when it
// called exec into its peak, and a child spawned from the Python driver
// would start with the interpreter's ~19 MiB; spawned from this small
// program it starts with ~1 MiB, as under GNU time.
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace {

long long CpuMicros(const rusage& usage) {
  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000LL + usage.ru_utime.tv_usec + usage.ru_stime.tv_usec;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: lm_bench_measure RESULT_FILE COMMAND [ARG]...\n");
    return 2;
  }
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    std::perror("lm_bench_measure: PR_SET_CHILD_SUBREAPER");
    return 2;
  }
  timespec started{}, ended{};
  clock_gettime(CLOCK_MONOTONIC, &started);
  const pid_t child = fork();
  if (child < 0) {
    std::perror("lm_bench_measure: fork");
    return 2;
  }
  if (child == 0) {
    execvp(argv[2], argv + 2);
    std::fprintf(stderr, "lm_bench_measure: %s: %s\n", argv[2], std::strerror(errno));
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  while (wait4(child, &status, 0, &usage) < 0) {
    if (errno != EINTR) {
      std::perror("lm_bench_measure: wait4");
      return 2;
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &ended);
  long max_rss = usage.ru_maxrss;
  long long cpu = CpuMicros(usage);
  rusage orphan{};
  for (;;) {
    const pid_t reaped = wait4(-1, nullptr, 0, &orphan);
    if (reaped < 0 && errno == EINTR) continue;
    if (reaped < 0) break;  // ECHILD: none left
    if (orphan.ru_maxrss > max_rss) max_rss = orphan.ru_maxrss;
    cpu += CpuMicros(orphan);
  }
  const long long micros = (ended.tv_sec - started.tv_sec) * 1000000LL + (ended.tv_nsec - started.tv_nsec) / 1000;
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  FILE* out = std::fopen(argv[1], "w");
  if (out == nullptr) {
    std::perror(argv[1]);
    return 2;
  }
  std::fprintf(out, "%lld %ld %d %lld\n", micros, max_rss, code, cpu);
  std::fclose(out);
  return 0;
}
