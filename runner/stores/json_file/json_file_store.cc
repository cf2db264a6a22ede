#include "json_file/json_file_store.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "common/atomic_file.h"
#include "common/options.h"

namespace lm::stores {

Status JsonFileStore::Open(const lm_store_open_args& args, std::unique_ptr<Store>* out) {
  Options options;
  LM_STORES_RETURN_IF_ERROR(Options::Parse("json-file", args.options_json, {"path"}, &options));
  std::string path;
  LM_STORES_RETURN_IF_ERROR(options.RequiredPath("path", args.config_dir, &path));

  std::unique_ptr<JsonFileStore> store(new JsonFileStore(path, args.read_only != 0, OwnerFromArgs(args.owner)));
  if (!store->read_only_) LM_STORES_RETURN_IF_ERROR(store->Create());
  // Report a broken file now, before the runner plans anything.
  Document document;
  LM_STORES_RETURN_IF_ERROR(store->Load(&document));
  *out = std::move(store);
  return Status::Ok();
}

Status JsonFileStore::Create() {
  std::error_code error;
  std::filesystem::path folder = std::filesystem::path(path_).parent_path();
  if (!std::filesystem::is_directory(folder, error)) {
    return Status::Unavailable("json-file store " + path_ + ": folder " + folder.string() + " does not exist");
  }
  std::string empty;
  LM_STORES_RETURN_IF_ERROR(SerializeDocument(path_, Document(), &empty));
  return WriteFileAtomically(path_, empty, WriteMode::kCreateOnly);
}

Status JsonFileStore::Load(Document* document) const {
  std::string text;
  bool exists = false;
  LM_STORES_RETURN_IF_ERROR(ReadWholeFile(path_, &text, &exists));
  if (!exists) {
    *document = Document();
    return Status::Ok();
  }
  return ParseDocument(path_, text, document);
}

Status JsonFileStore::Update(const char* operation, const std::function<void(Document*)>& change) {
  if (read_only_) return ReadOnlyError(operation, path_);
  Document document;
  LM_STORES_RETURN_IF_ERROR(Load(&document));
  change(&document);
  std::string text;
  LM_STORES_RETURN_IF_ERROR(SerializeDocument(path_, document, &text));
  return WriteFileAtomically(path_, text);
}

Status JsonFileStore::ListRecords(const RecordVisitor& visit) {
  Document document;
  LM_STORES_RETURN_IF_ERROR(Load(&document));
  for (const Record& record : document.records) LM_STORES_RETURN_IF_ERROR(visit(record));
  return Status::Ok();
}

Status JsonFileStore::PutRecord(const Record& record) {
  return Update("put_record", [&](Document* document) {
    auto& records = document->records;
    auto at = std::lower_bound(records.begin(), records.end(), record.version,
                               [](const Record& r, int64_t version) { return r.version < version; });
    if (at != records.end() && at->version == record.version) {
      *at = record;
    } else {
      records.insert(at, record);
    }
  });
}

Status JsonFileStore::DeleteRecord(int64_t version) {
  return Update("delete_record", [&](Document* document) {
    std::erase_if(document->records, [&](const Record& r) { return r.version == version; });
  });
}

Status JsonFileStore::AppendEvent(const Event& event) {
  return Update("append_event", [&](Document* document) { document->events.push_back(event); });
}

Status JsonFileStore::ListEvents(const EventVisitor& visit) {
  Document document;
  LM_STORES_RETURN_IF_ERROR(Load(&document));
  for (const Event& event : document.events) LM_STORES_RETURN_IF_ERROR(visit(event));
  return Status::Ok();
}

Status JsonFileStore::Lock(int64_t timeout_ms) { return lock_.Lock(timeout_ms); }

Status JsonFileStore::Unlock() { return lock_.Unlock(); }

}  // namespace lm::stores
