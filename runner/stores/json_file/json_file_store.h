// The json-file store: records and history in one human-readable JSON file
// (format in document.h), for targets that have no database to keep them in.
//
// Every change reads the file, changes it in memory and replaces it
// atomically (atomic_file.h), so the file on disk is always complete and
// parses. There are no transactions: each put, delete and append is durable
// on its own. Concurrent writers are serialised by the run lock only; a
// change made without holding it can be lost to another process's change.
#ifndef LINK_MIGRATION_STORES_JSON_FILE_JSON_FILE_STORE_H
#define LINK_MIGRATION_STORES_JSON_FILE_JSON_FILE_STORE_H

#include <link_migration/store.h>

#include <functional>
#include <memory>
#include <string>

#include "common/run_lock.h"
#include "common/store.h"
#include "json_file/document.h"

namespace lm::stores {

class JsonFileStore : public Store {
 public:
  // Options: {"path": "<file>"}.
  static Status Open(const lm_store_open_args& args, std::unique_ptr<Store>* out);

  Status ListRecords(const RecordVisitor& visit) override;
  Status PutRecord(const Record& record) override;
  Status DeleteRecord(int64_t version) override;
  Status AppendEvent(const Event& event) override;
  Status ListEvents(const EventVisitor& visit) override;
  Status Lock(int64_t timeout_ms) override;
  Status Unlock() override;

 private:
  JsonFileStore(std::string path, bool read_only, const Owner& owner)
      : path_(std::move(path)), read_only_(read_only), lock_(path_, owner, read_only) {}

  // Creates the file with no records, unless it exists.
  Status Create();
  // The file's contents; a missing file is an empty document.
  Status Load(Document* document) const;
  // Load, apply `change`, write back. A file that fails to load is left as
  // it is.
  Status Update(const char* operation, const std::function<void(Document*)>& change);

  const std::string path_;
  const bool read_only_;
  RunLock lock_;
};

}  // namespace lm::stores

#endif  // LINK_MIGRATION_STORES_JSON_FILE_JSON_FILE_STORE_H
