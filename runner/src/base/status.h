// The one error type inside the runner: a kind (which is also the process
// exit code the CLI returns for it) and a one-line message.
#ifndef LINK_MIGRATION_RUNNER_STATUS_H
#define LINK_MIGRATION_RUNNER_STATUS_H

#include <string>
#include <utility>

namespace lm {

// Every error kind, once: its enumerator, its exit code, and the meaning
// --help and the man page print (docs/cli.md's table says the same at more
// length). Codes never change; a new kind is appended with the next code.
#define LM_ERROR_KINDS(KIND)                                                                                      \
  KIND(kOk, 0, "ok (including nothing to do)")                                                                    \
  KIND(kMigrationFailed, 1, "a migration failed")                                                                 \
  KIND(kUsage, 2, "usage: bad command line")                                                                      \
  KIND(kConfig, 3, "config: missing, invalid, unknown key")                                                       \
  KIND(kPluginLoad, 4, "plugin load: bad plugin or bundle, refused by the trust rules")                           \
  KIND(kStore, 5, "store: failed, corrupt or unreachable")                                                        \
  KIND(kLockTimeout, 6, "lock timeout: another runner holds the lock")                                            \
  KIND(kPlanRefused, 7, "plan refused: irreversible step, unknown target")                                        \
  KIND(kDrift, 8, "drift: applied migrations changed, missing or out of order")                                   \
  KIND(kNeedsRepair, 9, "needs repair: a version was left running or failed-partial")                             \
  KIND(kStepDied, 10, "a step died (signal, exit())")                                                             \
  KIND(kStepTimeout, 11, "a step timed out")                                                                      \
  KIND(kInterrupted, 12,                                                                                          \
       "interrupted: the runner was stopped by SIGTERM, SIGINT or SIGHUP; the running step was killed and recorded") \
  KIND(kInternal, 13, "internal: the runner itself failed (out of memory, a bug); check status before retrying")

enum class ErrorKind : int {
#define LM_ERROR_KIND_ENUMERATOR(kind, code, meaning) kind = (code),
  LM_ERROR_KINDS(LM_ERROR_KIND_ENUMERATOR)
#undef LM_ERROR_KIND_ENUMERATOR
};

struct ExitCodeSpec {
  int code;
  const char* meaning;
};

// The exit codes in order, for --help, the man page and the docs test.
inline constexpr ExitCodeSpec kExitCodes[] = {
#define LM_ERROR_KIND_EXIT_CODE(kind, code, meaning) {(code), (meaning)},
    LM_ERROR_KINDS(LM_ERROR_KIND_EXIT_CODE)
#undef LM_ERROR_KIND_EXIT_CODE
};

// Discarding a Status discards an error: handle it, or cast it to void with
// a comment saying why the failure does not matter there.
class [[nodiscard]] Status {
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
