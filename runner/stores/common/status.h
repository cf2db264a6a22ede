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
  // An option of the store's options object is unknown, missing or wrong:
  // `key` is that option ("" for the options as a whole), which open hands
  // the runner (lm_store_open_args.option_key); the message names it too.
  static Status OptionError(std::string key, std::string message) {
    Status status(LM_ERR_OPTION, std::move(message));
    status.option_key_ = std::move(key);
    return status;
  }
  // A visitor's own code, passed back unchanged to the caller of a listing.
  static Status FromCode(lm_result code, std::string message) { return Status(code, std::move(message)); }

  bool ok() const { return code_ == LM_OK; }
  lm_result code() const { return code_; }
  const std::string& message() const { return message_; }
  // The option at fault when code() is LM_ERR_OPTION.
  const std::string& option_key() const { return option_key_; }

 private:
  Status(lm_result code, std::string message) : code_(code), message_(std::move(message)) {}

  lm_result code_ = LM_OK;
  std::string message_;
  std::string option_key_;
};

#define LM_STORES_RETURN_IF_ERROR(expr)                    \
  do {                                                     \
    ::lm::stores::Status lm_stores_status_ = (expr);       \
    if (!lm_stores_status_.ok()) return lm_stores_status_; \
  } while (0)

}  // namespace lm::stores

#endif  // LINK_MIGRATION_STORES_COMMON_STATUS_H
