// The one error type inside the runner: a kind (which is also the process
// exit code the CLI returns for it) and a one-line message.
#ifndef LINK_MIGRATION_RUNNER_STATUS_H
#define LINK_MIGRATION_RUNNER_STATUS_H

#include <string>
#include <utility>

namespace lm {

// Exit codes are documented in docs/cli.md; values never change.
enum class ErrorKind : int {
  kOk = 0,
  kMigrationFailed = 1,  // a step returned an error, threw or died
  kUsage = 2,            // bad command line
  kConfig = 3,           // config file missing, unreadable or invalid
  kPluginLoad = 4,       // a plugin file could not be loaded or is invalid
  kStore = 5,            // the version store failed or is unreachable
  kLockTimeout = 6,      // another runner holds the lock
  kPlanRefused = 7,      // the plan cannot be carried out (irreversible, unknown target)
  kDrift = 8,            // applied migrations changed, went missing, or out of order
  kNeedsRepair = 9,      // an interrupted or partial step needs a human
  kStepDied = 10,        // a step crashed the worker process (signal, exit())
  kStepTimeout = 11,     // a step ran past its timeout and was killed
};

class Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(ErrorKind kind, std::string message) {
    return Status(kind, std::move(message));
  }

  bool ok() const { return kind_ == ErrorKind::kOk; }
  ErrorKind kind() const { return kind_; }
  int exit_code() const { return static_cast<int>(kind_); }
  const std::string& message() const { return message_; }

 private:
  Status(ErrorKind kind, std::string message) : kind_(kind), message_(std::move(message)) {}

  ErrorKind kind_ = ErrorKind::kOk;
  std::string message_;
};

#define LM_RETURN_IF_ERROR(expr)      \
  do {                                \
    ::lm::Status lm_status_ = (expr); \
    if (!lm_status_.ok()) return lm_status_; \
  } while (0)

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_STATUS_H
