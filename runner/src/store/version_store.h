// The runner's view of a version store, whichever contract the plugin
// implements (full lm_store_api, or the seed's get/set current version).
#ifndef LINK_MIGRATION_RUNNER_VERSION_STORE_H
#define LINK_MIGRATION_RUNNER_VERSION_STORE_H

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace lm {

enum class VersionState : int32_t {
  kApplied = 1,
  kRunning = 2,
  kFailedRolledBack = 3,
  kFailedPartial = 4,
};

const char* VersionStateName(VersionState state);  // "applied", "running", ...

struct Record {
  int64_t version = 0;
  VersionState state = VersionState::kApplied;
  std::string name;
  std::string checksum;
  std::string applied_at;
  int64_t duration_ms = 0;
  std::string applied_by;
  std::string runner_version;
  std::string error;
  std::string changelog_path;
  int32_t attempts = 0;
  std::string run_id;
};

struct Event {
  int64_t version = 0;
  std::string kind;  // LM_EVENT_*
  std::string name;
  std::string at;
  std::string by;
  int64_t duration_ms = 0;
  std::string detail;
  std::string run_id;
};

struct StoreCapabilities {
  bool transactions = false;
  bool locking = false;
  bool history = false;
  bool native_handle = false;
  bool full_records = true;  // false for the minimal get/set contract
};

class VersionStore {
 public:
  virtual ~VersionStore() = default;

  virtual const std::string& name() const = 0;
  virtual StoreCapabilities capabilities() const = 0;

  // Ascending by version.
  virtual Status ListRecords(std::vector<Record>* records) = 0;
  virtual Status PutRecord(const Record& record) = 0;
  virtual Status DeleteRecord(int64_t version) = 0;
  virtual Status AppendEvent(const Event& event) = 0;
  virtual Status ListEvents(std::vector<Event>* events) = 0;

  virtual Status Begin() = 0;
  virtual Status Commit() = 0;
  virtual Status Rollback() = 0;
  // Whether the transaction begun by Begin is still open; nullopt when the
  // store cannot tell (it says so, or was built before lm_store_api had
  // in_transaction). A caller that gets nullopt can only try Rollback and
  // believe its success, as runners did before.
  virtual std::optional<bool> TransactionOpen() = 0;

  // Negative timeout: wait forever.
  virtual Status Lock(std::chrono::milliseconds timeout) = 0;
  virtual Status Unlock() = 0;

  virtual void* NativeHandle(const char* kind) = 0;
};

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_VERSION_STORE_H
