// Who is running and when: the seams the engine reads instead of the OS, so
// tests can pin them.
#ifndef LINK_MIGRATION_RUNNER_ENVIRONMENT_H
#define LINK_MIGRATION_RUNNER_ENVIRONMENT_H

#include <chrono>
#include <cstdint>
#include <string>

namespace lm {

class Environment {
 public:
  virtual ~Environment() = default;
  virtual std::string User() const = 0;
  virtual std::string Host() const = 0;
  virtual int64_t Pid() const = 0;
  virtual std::chrono::system_clock::time_point Now() const = 0;
};

// The real process: effective user, host name, pid, system clock.
const Environment& SystemEnvironment();

// UTC ISO 8601 with milliseconds: 2026-11-21T21:17:47.123Z
std::string FormatUtc(std::chrono::system_clock::time_point when);
// Compact UTC for file names: 20261121T211747Z
std::string FormatUtcCompact(std::chrono::system_clock::time_point when);

// 16 random hex digits identifying one run of the runner.
std::string NewRunId();

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_ENVIRONMENT_H
