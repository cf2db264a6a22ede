// The one error type inside the shipped stores: an lm_result code and a
// one-line message. It becomes an lm_error only at the C boundary
// (plugin_api.h), so the store code itself never touches C buffers.
#ifndef LINK_MIGRATION_STORES_COMMON_STATUS_H
#define LINK_MIGRATION_STORES_COMMON_STATUS_H

#include <link_migration/abi.h>

#include <string>
#include <utility>

namespace lm::stores {

// Discarding a Status discards an error: handle it, or cast it to void with
// a comment saying why the failure does not matter there.
class [[nodiscard]] Status {
 public:
  Status() = default;

  static Status Ok() { return Status(); }
  static Status Error(std::string message) { return Status(LM_ERROR, std::move(message)); }
  static Status Corrupt(std::string message) { return Status(LM_ERR_CORRUPT, std::move(message)); }
  static Status LockTimeout(std::string message) { return Status(LM_ERR_LOCK_TIMEOUT, std::move(message)); }
  static Status Unavailable(std::string message) { return Status(LM_ERR_UNAVAILABLE, std::move(message)); }
  static Status Unsupported(std::string message) { return Status(LM_ERR_UNSUPPORTED, std::move(message)); }
  // A visitor's own code, passed back unchanged to the caller of a listing.
  static Status FromCode(lm_result code, std::string message) { return Status(code, std::move(message)); }

  bool ok() const { return code_ == LM_OK; }
  lm_result code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Status(lm_result code, std::string message) : code_(code), message_(std::move(message)) {}

  lm_result code_ = LM_OK;
  std::string message_;
};

#define LM_STORES_RETURN_IF_ERROR(expr)                    \
  do {                                                     \
    ::lm::stores::Status lm_stores_status_ = (expr);       \
    if (!lm_stores_status_.ok()) return lm_stores_status_; \
  } while (0)

}  // namespace lm::stores

#endif  // LINK_MIGRATION_STORES_COMMON_STATUS_H
