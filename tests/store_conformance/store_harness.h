// Test harness for store plugins, used through the C ABI only: load a
// plugin, open stores, copy what they list, and run a second process that
// contends for the lock. Shared by the conformance suite (any store), the
// shipped stores' own tests and the postgres store's; each test's fresh
// folder is tests/support's TempDir.
#ifndef LINK_MIGRATION_TESTS_STORE_CONFORMANCE_STORE_HARNESS_H
#define LINK_MIGRATION_TESTS_STORE_CONFORMANCE_STORE_HARNESS_H

#include <link_migration/store.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/temp_dir.h"

namespace lm::store_test {

// The size of lm_store_api as ABI 1 first shipped it (through
// native_handle); fields after it were appended since, and a store built
// before them is still a store.
constexpr size_t kFirstStoreApiSize = offsetof(lm_store_api, native_handle) + sizeof(lm_store_api::native_handle);

// True when `api`, of its own struct_size, holds in_transaction.
inline bool HasInTransaction(const lm_store_api& api) {
  return api.struct_size >= offsetof(lm_store_api, in_transaction) + sizeof(api.in_transaction);
}

// dlopens `path` (RTLD_NOW | RTLD_LOCAL) once, keeps it loaded until exit,
// and returns its `link_migration_store` after checking struct_size and
// abi_version. NULL with *error set when it cannot.
const lm_store_api* LoadStore(const std::string& path, std::string* error);

// `options_template` with every "{dir}" replaced by `dir`.
std::string ExpandOptions(std::string_view options_template, const std::string& dir);

using lm::test::TempDir;

using Text = std::optional<std::string>;

// Owned copies of lm_record / lm_event: what a store listed, or what a test
// puts (ToC views borrow this object's strings).
struct RecordData {
  int64_t version = 0;
  int32_t state = LM_STATE_APPLIED;
  Text name, checksum, applied_at;
  int64_t duration_ms = 0;
  Text applied_by, runner_version, error, changelog_path;
  int32_t attempts = 0;
  Text run_id;

  static RecordData From(const lm_record& record);
  lm_record ToC() const;
  bool operator==(const RecordData&) const = default;
};

struct EventData {
  int64_t version = 0;
  Text kind, name, at, by;
  int64_t duration_ms = 0;
  Text detail, run_id;

  static EventData From(const lm_event& event);
  lm_event ToC() const;
  bool operator==(const EventData&) const = default;
};

// A record and an event with every field set, distinct per `version`.
RecordData FullRecord(int64_t version);
EventData FullEvent(int64_t version, const char* kind);

// Who a StoreClient opens its store as (the lm_owner it passes; host and
// pid are this process's).
struct ClientOwner {
  std::string user = "conformance";
  std::string run_id;  // empty: "conformance-run-<pid>"
};

// One open store handle, closed by the destructor. Every call returns the
// store's lm_result; message() is the lm_error text of the last failure.
class StoreClient {
 public:
  StoreClient(const lm_store_api* api, std::string options_json, std::string config_dir, ClientOwner owner = {});
  ~StoreClient() { Close(); }
  // Not copyable or movable (the owner points into it); factories return
  // it as a prvalue.
  StoreClient(const StoreClient&) = delete;
  StoreClient& operator=(const StoreClient&) = delete;

  lm_result Open(bool read_only = false);
  void Close();

  lm_result Put(const RecordData& record);
  lm_result Delete(int64_t version);
  lm_result List(std::vector<RecordData>* records);
  lm_result Append(const EventData& event);
  lm_result ListEvents(std::vector<EventData>* events);
  lm_result Begin();
  lm_result Commit();
  lm_result Rollback();
  lm_result Lock(int64_t timeout_ms);
  lm_result Unlock();
  // REQUIRES: HasInTransaction(*api()) and the function is there.
  int32_t InTransaction();
  void* NativeHandle(const char* kind);

  lm_store* handle() const { return store_; }
  const lm_store_api* api() const { return api_; }
  const std::string& message() const { return message_; }
  // The option the last Open named when it returned LM_ERR_OPTION.
  const std::string& option_key() const { return option_key_; }
  const std::string& run_id() const { return run_id_; }

 private:
  lm_result Done(lm_result code);

  const lm_store_api* api_;
  std::string options_;
  std::string config_dir_;
  std::string user_;
  std::string host_;
  std::string run_id_;
  std::string option_key_;
  lm_owner owner_;
  lm_store* store_ = nullptr;
  lm_error error_;
  std::string message_;
};

// The outcome of ProbeLock.
struct LockProbe {
  bool ran = false;  // false: the child failed before trying (message says why)
  lm_result code = LM_ERROR;
  std::string message;
  int64_t elapsed_ms = 0;
  pid_t pid = -1;
};

// A child that, when Run, opens the store, calls lock(timeout_ms), reports
// and exits (which releases whatever it took). It is forked when made: make
// it before the test takes a lock. A store may keep its lock alive with a
// thread (the postgres lease's heartbeat), and a child forked while that
// thread holds a lock of its own (malloc's, libpq's) starts with it held
// and no thread to release it: it can wait forever.
class LockProber {
 public:
  LockProber(const lm_store_api* api, const std::string& options_json, const std::string& config_dir);
  ~LockProber();  // ends a child that was never run
  LockProber(const LockProber&) = delete;
  LockProber& operator=(const LockProber&) = delete;

  // Once.
  LockProbe Run(int64_t timeout_ms);

 private:
  static void CloseEnd(int* fd);

  pid_t pid_ = -1;
  int command_fd_ = -1;
  int report_fd_ = -1;
  std::string error_;  // why there is no child
};

// A LockProber made and run at once: for a test process with no other thread.
LockProbe ProbeLock(const lm_store_api* api, const std::string& options_json, const std::string& config_dir,
                    int64_t timeout_ms);

// A forked child that opens the store, takes its lock and holds it until
// Release() or Kill(). The destructor kills a child still running.
class LockHolder {
 public:
  LockHolder() = default;
  ~LockHolder();
  LockHolder(const LockHolder&) = delete;
  LockHolder& operator=(const LockHolder&) = delete;

  // Returns once the child holds the lock, or false with *error set.
  bool Start(const lm_store_api* api, const std::string& options_json, const std::string& config_dir,
             std::string* error);
  pid_t pid() const { return pid_; }
  // Asks the child to unlock, close and exit; true if it did so cleanly.
  bool Release();
  // SIGKILL: the child gets no chance to unlock.
  void Kill();

 private:
  void Reap();

  pid_t pid_ = -1;
  int command_fd_ = -1;  // parent -> child
  int report_fd_ = -1;   // child -> parent
};

}  // namespace lm::store_test

#endif  // LINK_MIGRATION_TESTS_STORE_CONFORMANCE_STORE_HARNESS_H
