#include "store/store_host.h"

#include <link_migration/store.h>
#include <link_migration/store_record.hpp>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <optional>

#include "base/json_path.h"
#include "catalog/discovery.h"
#include "catalog/plugin_library.h"

namespace lm {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kMinApiSize = offsetof(lm_store_api, native_handle) + sizeof(lm_store_api::native_handle);

std::string Text(const char* text) { return text ? text : ""; }

ErrorKind KindOf(lm_result code) {
  switch (code) {
    case LM_ERR_LOCK_TIMEOUT:
      return ErrorKind::kLockTimeout;
    default:
      return ErrorKind::kStore;
  }
}

// A store's open refused one of its options: the config's error, at
// $.store.options.<key> ($.store.options when the store names no key).
Status OptionError(const Config& config, const char* key, const char* message) {
  const std::string options = JsonPathKey(JsonPathKey(kJsonRoot, "store"), "options");
  const std::string path = *key == '\0' ? options : JsonPathKey(options, key);
  return Status::Error(ErrorKind::kConfig, config.file.string() + ": " + path + ": " +
                                               (*message != '\0' ? message : "the store refused this option"));
}

// Adapts the full lm_store_api contract.
class AbiStore : public VersionStore {
 public:
  AbiStore(const lm_store_api* api, lm_store* handle, std::string name, std::string file)
      : api_(api), handle_(handle), name_(std::move(name)), file_(std::move(file)) {}
  ~AbiStore() override { api_->close(handle_); }

  const std::string& name() const override { return name_; }

  StoreCapabilities capabilities() const override {
    StoreCapabilities caps;
    caps.transactions = (api_->capabilities & LM_STORE_CAP_TRANSACTIONS) && api_->begin &&
                        api_->commit && api_->rollback;
    caps.locking = (api_->capabilities & LM_STORE_CAP_LOCKING) && api_->lock && api_->unlock;
    caps.history = (api_->capabilities & LM_STORE_CAP_HISTORY) && api_->append_event && api_->list_events;
    caps.native_handle = (api_->capabilities & LM_STORE_CAP_NATIVE_HANDLE) && api_->native_handle;
    return caps;
  }

  Status ListRecords(std::vector<Record>* records) override {
    records->clear();
    Listing<Record> listing{records, std::nullopt};
    const Status status = Call("list the applied versions", [&](lm_error* err) {
      return api_->list_records(handle_, &AbiStore::VisitRecord, &listing, err);
    });
    return listing.too_small ? TooSmall("record", *listing.too_small) : status;
  }

  Status PutRecord(const Record& record) override {
    const lm_record raw = link_migration::store::record_to_c(record);
    return Call("record version " + std::to_string(record.version),
                [&](lm_error* err) { return api_->put_record(handle_, &raw, err); });
  }

  Status DeleteRecord(int64_t version) override {
    return Call("remove the record of version " + std::to_string(version),
                [&](lm_error* err) { return api_->delete_record(handle_, version, err); });
  }

  Status AppendEvent(const Event& event) override {
    if (!capabilities().history) return Status::Ok();
    const lm_event raw = link_migration::store::event_to_c(event);
    return Call("append to the history",
                [&](lm_error* err) { return api_->append_event(handle_, &raw, err); });
  }

  Status ListEvents(std::vector<Event>* events) override {
    events->clear();
    if (!capabilities().history) return Status::Ok();
    Listing<Event> listing{events, std::nullopt};
    const Status status = Call("read the history", [&](lm_error* err) {
      return api_->list_events(handle_, &AbiStore::VisitEvent, &listing, err);
    });
    return listing.too_small ? TooSmall("history event", *listing.too_small) : status;
  }

  Status Begin() override { return Call("begin a transaction", [&](lm_error* e) { return api_->begin(handle_, e); }); }
  Status Commit() override { return Call("commit", [&](lm_error* e) { return api_->commit(handle_, e); }); }
  Status Rollback() override { return Call("roll back", [&](lm_error* e) { return api_->rollback(handle_, e); }); }

  std::optional<bool> TransactionOpen() override {
    const bool has_in_transaction =
        api_->struct_size >= offsetof(lm_store_api, in_transaction) + sizeof(api_->in_transaction);
    if (!has_in_transaction || api_->in_transaction == nullptr) return std::nullopt;
    switch (api_->in_transaction(handle_)) {
      case 0:
        return false;
      case 1:
        return true;
      default:
        return std::nullopt;
    }
  }

  Status Lock(std::chrono::milliseconds timeout) override {
    return Call("lock", [&](lm_error* e) { return api_->lock(handle_, timeout.count(), e); });
  }
  Status Unlock() override { return Call("unlock", [&](lm_error* e) { return api_->unlock(handle_, e); }); }

  void* NativeHandle(const char* kind) override {
    return capabilities().native_handle ? api_->native_handle(handle_, kind) : nullptr;
  }

 private:
  template <class Fn>
  Status Call(const std::string& what, Fn fn) {
    lm_error err{};
    lm_result code = fn(&err);
    if (code == LM_OK) return Status::Ok();
    err.message[sizeof(err.message) - 1] = '\0';
    std::string detail = err.message[0] ? err.message : "no reason given (code " + std::to_string(code) + ")";
    if (code == LM_ERR_LOCK_TIMEOUT) return Status::Error(ErrorKind::kLockTimeout, detail);
    return Status::Error(KindOf(code), "store '" + name_ + "' could not " + what + ": " + detail);
  }

  // What a listing collects, and the struct_size of a struct too small to
  // hold even its version, which stops the listing: the store is damaged.
  template <class Item>
  struct Listing {
    std::vector<Item>* items;
    std::optional<uint32_t> too_small;
  };

  // Built in place: status reads every record, and a temporary per field
  // and a Record moved into the vector cost more than the store's query.
  template <class Item, class Raw>
  static lm_result Visit(void* user, const Raw* raw) {
    auto* listing = static_cast<Listing<Item>*>(user);
    if (link_migration::store::from_c(*raw, &listing->items->emplace_back())) return LM_OK;
    listing->items->pop_back();
    listing->too_small = raw->struct_size;
    return LM_ERROR;
  }
  static lm_result VisitRecord(void* user, const lm_record* raw) { return Visit<Record>(user, raw); }
  static lm_result VisitEvent(void* user, const lm_event* raw) { return Visit<Event>(user, raw); }

  Status TooSmall(const std::string& what, uint32_t size) const {
    return Status::Error(ErrorKind::kPluginLoad, file_ + ": a " + what + " the store listed is too small (" +
                                                     std::to_string(size) + " bytes): damaged plugin");
  }

  const lm_store_api* api_;
  lm_store* handle_;
  std::string name_;
  std::string file_;
};

// Adapts the seed's two-function contract: one number, the current version.
class MinimalStore : public VersionStore {
 public:
  MinimalStore(lm_get_current_version_fn get, lm_set_current_version_fn set, std::string name,
               std::string options, std::string config_dir, std::vector<int64_t> known_versions)
      : get_(get), set_(set), name_(std::move(name)), options_(std::move(options)),
        config_dir_(std::move(config_dir)), known_(std::move(known_versions)) {
    std::sort(known_.begin(), known_.end());
  }

  const std::string& name() const override { return name_; }
  StoreCapabilities capabilities() const override {
    StoreCapabilities caps;
    caps.full_records = false;
    return caps;
  }

  Status ListRecords(std::vector<Record>* records) override {
    records->clear();
    int64_t current = 0;
    LM_RETURN_IF_ERROR(Get(&current));
    for (int64_t version : known_) {
      if (version > current) break;
      Record record;
      record.version = version;
      records->push_back(record);
    }
    // A current version the runner has no plugin for still counts as applied.
    if (current > 0 && (records->empty() || records->back().version != current)) {
      Record record;
      record.version = current;
      records->push_back(record);
    }
    return Status::Ok();
  }

  Status PutRecord(const Record& record) override {
    if (record.state != VersionState::kApplied) return Status::Ok();  // nowhere to keep it
    return Set(record.version);
  }

  Status DeleteRecord(int64_t version) override {
    auto below = std::lower_bound(known_.begin(), known_.end(), version);
    return Set(below == known_.begin() ? 0 : *std::prev(below));
  }

  Status AppendEvent(const Event&) override { return Status::Ok(); }
  Status ListEvents(std::vector<Event>* events) override {
    events->clear();
    return Status::Ok();
  }
  Status Begin() override { return Unsupported("transactions"); }
  Status Commit() override { return Unsupported("transactions"); }
  Status Rollback() override { return Unsupported("transactions"); }
  std::optional<bool> TransactionOpen() override { return std::nullopt; }
  Status Lock(std::chrono::milliseconds) override { return Unsupported("locking"); }
  Status Unlock() override { return Unsupported("locking"); }
  void* NativeHandle(const char*) override { return nullptr; }

 private:
  Status Unsupported(const char* what) const {
    return Status::Error(ErrorKind::kStore, "store '" + name_ + "' offers no " + what);
  }
  Status Failed(const char* what, lm_result code, lm_error& err) const {
    err.message[sizeof(err.message) - 1] = '\0';
    return Status::Error(ErrorKind::kStore, "store '" + name_ + "' could not " + what + ": " +
                                                (err.message[0] ? err.message : "code " + std::to_string(code)));
  }
  Status Get(int64_t* version) {
    lm_error err{};
    lm_result code = get_(options_.c_str(), config_dir_.c_str(), version, &err);
    return code == LM_OK ? Status::Ok() : Failed("read the current version", code, err);
  }
  Status Set(int64_t version) {
    lm_error err{};
    lm_result code = set_(options_.c_str(), config_dir_.c_str(), version, &err);
    return code == LM_OK ? Status::Ok() : Failed("set the current version", code, err);
  }

  lm_get_current_version_fn get_;
  lm_set_current_version_fn set_;
  std::string name_;
  std::string options_;
  std::string config_dir_;
  std::vector<int64_t> known_;
};

bool LooksLikePath(const std::string& plugin) {
  return plugin.find('/') != std::string::npos ||
         (plugin.size() > PluginSuffix().size() &&
          plugin.compare(plugin.size() - PluginSuffix().size(), PluginSuffix().size(), PluginSuffix()) == 0);
}

}  // namespace

Status ResolveStorePlugin(const StoreOpenRequest& request, fs::path* plugin) {
  const Config& config = *request.config;
  const std::string& wanted = config.store.plugin;
  std::error_code error;
  if (LooksLikePath(wanted)) {
    fs::path path = fs::path(wanted).is_absolute() ? fs::path(wanted) : config.dir / wanted;
    if (!fs::is_regular_file(path, error))
      return Status::Error(ErrorKind::kConfig, config.file.string() + ": $.store.plugin: no store plugin at " +
                                                   path.lexically_normal().string());
    *plugin = path.lexically_normal();
    return Status::Ok();
  }
  std::vector<fs::path> folders = config.plugin_path;
  folders.push_back(request.builtin_store_dir);
  std::string searched;
  for (const fs::path& folder : folders) {
    fs::path candidate = folder / (wanted + PluginSuffix());
    if (fs::is_regular_file(candidate, error)) {
      *plugin = candidate.lexically_normal();
      return Status::Ok();
    }
    searched += (searched.empty() ? "" : ", ") + folder.lexically_normal().string();
  }
  return Status::Error(ErrorKind::kConfig, config.file.string() + ": $.store.plugin: no store named '" +
                                               wanted + "' (looked for " + wanted + PluginSuffix() +
                                               " in " + searched + ")");
}

Status OpenVersionStore(const StoreOpenRequest& request, std::unique_ptr<VersionStore>* store,
                        std::vector<std::string>* warnings) {
  fs::path path;
  LM_RETURN_IF_ERROR(ResolveStorePlugin(request, &path));
  // The allow-list names migration plugins; store plugins get the permission rules.
  TrustPolicy permissions_only;
  permissions_only.check_permissions = request.config->trust.check_permissions;
  TrustChecker trust(permissions_only);
  const boost::dll::shared_library* library = nullptr;
  LM_RETURN_IF_ERROR(LoadPluginLibrary(path, trust, &library));
  const Config& config = *request.config;
  const std::string dir = config.dir.string();

  if (library->has(LM_STORE_SYMBOL)) {
    const lm_store_api& api = library->get<const lm_store_api>(LM_STORE_SYMBOL);
    if (api.abi_version != LM_ABI_VERSION)
      return Status::Error(ErrorKind::kPluginLoad, path.string() + ": store built for plugin ABI " +
                                                       std::to_string(api.abi_version) + ", this runner supports ABI " +
                                                       std::to_string(LM_ABI_VERSION));
    if (api.struct_size < kMinApiSize)
      return Status::Error(ErrorKind::kPluginLoad, path.string() + ": the store descriptor is too small (" +
                                                       std::to_string(api.struct_size) + " bytes): damaged plugin");
    if (!api.open || !api.close || !api.list_records || !api.put_record || !api.delete_record)
      return Status::Error(ErrorKind::kPluginLoad,
                           path.string() + ": incomplete store descriptor (open, close, list_records, "
                                           "put_record and delete_record are required)");
    lm_owner owner{sizeof(lm_owner), request.user.c_str(), request.host.c_str(), request.pid,
                   request.run_id.c_str(), request.started_at.c_str()};
    char option_key[LM_OPTION_KEY_MAX] = {};
    lm_store_open_args args{sizeof(lm_store_open_args), config.store.options_json.c_str(), dir.c_str(),
                            &owner, request.read_only ? 1 : 0, option_key};
    lm_store* handle = nullptr;
    lm_error err{};
    lm_result code = api.open(&args, &handle, &err);
    if (code != LM_OK || handle == nullptr) {
      err.message[sizeof(err.message) - 1] = '\0';
      option_key[sizeof(option_key) - 1] = '\0';
      if (code == LM_ERR_OPTION) return OptionError(config, option_key, err.message);
      return Status::Error(code == LM_ERR_LOCK_TIMEOUT ? ErrorKind::kLockTimeout : ErrorKind::kStore,
                           "store '" + Text(api.name) + "' (" + path.string() + ") could not open: " +
                               (err.message[0] ? err.message : "code " + std::to_string(code)));
    }
    *store = std::make_unique<AbiStore>(&api, handle, api.name ? api.name : config.store.plugin, path.string());
    return Status::Ok();
  }

  const bool has_get = library->has(LM_STORE_GET_VERSION_SYMBOL);
  const bool has_set = library->has(LM_STORE_SET_VERSION_SYMBOL);
  if (has_get && has_set) {
    warnings->push_back("store '" + config.store.plugin +
                        "' keeps only the current version: no history, checksums or locking");
    *store = std::make_unique<MinimalStore>(
        &library->get<lm_result(const char*, const char*, int64_t*, lm_error*)>(LM_STORE_GET_VERSION_SYMBOL),
        &library->get<lm_result(const char*, const char*, int64_t, lm_error*)>(LM_STORE_SET_VERSION_SYMBOL),
        config.store.plugin, config.store.options_json, dir, request.known_versions);
    return Status::Ok();
  }
  std::string missing = has_get ? LM_STORE_SET_VERSION_SYMBOL
                        : has_set ? LM_STORE_GET_VERSION_SYMBOL
                                  : std::string("'") + LM_STORE_SYMBOL + "'";
  return Status::Error(ErrorKind::kPluginLoad, path.string() + ": not a link-migration store plugin (no entry point " +
                                                   missing + ")");
}

}  // namespace lm
