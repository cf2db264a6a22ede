#include "store_harness.h"

#include <link_migration/store_record.hpp>
#include <dirent.h>
#include <dlfcn.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

namespace lm::store_test {

namespace {

// Bound on every wait for a child process, so a broken store fails the test
// instead of hanging it.
constexpr int kChildTimeoutMs = 20000;

void WriteString(int fd, const std::string& text) {
  const char* data = text.data();
  size_t left = text.size();
  while (left > 0) {
    ssize_t n = write(fd, data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data += n;
    left -= static_cast<size_t>(n);
  }
}

// Reads from fd until EOF, or until `stop_at` has been read, or the time is
// up. Returns false on timeout.
bool ReadFromChild(int fd, std::string* out, char stop_at = '\0') {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kChildTimeoutMs);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd waiting = {fd, POLLIN, 0};
    int ready = poll(&waiting, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    char buffer[1024];
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return true;  // EOF
    out->append(buffer, static_cast<size_t>(n));
    if (stop_at != '\0' && out->find(stop_at) != std::string::npos) return true;
  }
}

}  // namespace

const lm_store_api* LoadStore(const std::string& path, std::string* error) {
  // Loaded once and never unloaded: nothing the plugin handed out may
  // outlive its code.
  static std::map<std::string, const lm_store_api*> loaded;
  if (auto it = loaded.find(path); it != loaded.end()) return it->second;

  if (path.empty()) {
    *error = "no store plugin given (--store=PATH or LM_STORE_PLUGIN)";
    return nullptr;
  }
  void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    *error = std::string("cannot load ") + path + ": " + dlerror();
    return nullptr;
  }
  auto* api = static_cast<const lm_store_api*>(dlsym(library, LM_STORE_SYMBOL));
  if (api == nullptr) {
    *error = "no entry point [" LM_STORE_SYMBOL "] in shared library [" + path +
             "] (stores of the minimal get/set contract are not covered by this suite)";
    return nullptr;
  }
  if (api->abi_version != LM_ABI_VERSION) {
    *error =
        path + ": abi_version " + std::to_string(api->abi_version) + ", expected " + std::to_string(LM_ABI_VERSION);
    return nullptr;
  }
  if (api->struct_size < kFirstStoreApiSize) {
    *error = path + ": lm_store_api.struct_size " + std::to_string(api->struct_size) + " is smaller than the " +
             std::to_string(kFirstStoreApiSize) + " bytes of ABI version 1";
    return nullptr;
  }
  loaded[path] = api;
  return api;
}

std::string ExpandOptions(std::string_view options_template, const std::string& dir) {
  std::string result;
  constexpr std::string_view kPlaceholder = "{dir}";
  size_t from = 0;
  for (size_t at; (at = options_template.find(kPlaceholder, from)) != std::string_view::npos;
       from = at + kPlaceholder.size()) {
    result.append(options_template.substr(from, at - from));
    result.append(dir);
  }
  result.append(options_template.substr(from));
  return result;
}

// A struct too small to hold its version comes back as a default RecordData
// (version 0, which no test puts); List refuses it outright.
RecordData RecordData::From(const lm_record& record) {
  RecordData copy;
  if (!link_migration::store::from_c(record, &copy)) return RecordData();
  return copy;
}

lm_record RecordData::ToC() const { return link_migration::store::record_to_c(*this); }

EventData EventData::From(const lm_event& event) {
  EventData copy;
  if (!link_migration::store::from_c(event, &copy)) return EventData();
  return copy;
}

lm_event EventData::ToC() const { return link_migration::store::event_to_c(*this); }

RecordData FullRecord(int64_t version) {
  std::string v = std::to_string(version);
  RecordData r;
  r.version = version;
  r.state = LM_STATE_APPLIED;
  r.name = "create users " + v;
  r.checksum = "sha256:0123456789abcdef" + v;
  r.applied_at = "2026-11-21T21:17:47.123Z";
  r.duration_ms = 1234 + version % 1000;
  r.applied_by = "alice@host1";
  r.runner_version = "0.1.0";
  r.error = "no error, \"quoted\" \\ and unicode \xc3\xa9 " + v;
  r.changelog_path = "changelogs/" + v + ".csv";
  r.attempts = 3;
  r.run_id = "run-" + v;
  return r;
}

EventData FullEvent(int64_t version, const char* kind) {
  std::string v = std::to_string(version);
  EventData e;
  e.version = version;
  e.kind = kind;
  e.name = "migration " + v;
  e.at = "2026-11-21T21:17:47.123Z";
  e.by = "alice@host1";
  e.duration_ms = 17;
  e.detail = std::string("detail of ") + kind + " " + v;
  e.run_id = "run-" + v;
  return e;
}

StoreClient::StoreClient(const lm_store_api* api, std::string options_json, std::string config_dir,
                         ClientOwner owner)
    : api_(api),
      options_(std::move(options_json)),
      config_dir_(std::move(config_dir)),
      user_(std::move(owner.user)),
      run_id_(std::move(owner.run_id)) {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  host_ = host;
  if (run_id_.empty()) run_id_ = "conformance-run-" + std::to_string(getpid());
  owner_ = {};
  owner_.struct_size = sizeof(owner_);
  owner_.user = user_.c_str();
  owner_.host = host_.c_str();
  owner_.pid = getpid();
  owner_.run_id = run_id_.c_str();
  owner_.started_at = "2026-11-21T21:17:47Z";
  error_.message[0] = '\0';
}

lm_result StoreClient::Done(lm_result code) {
  message_ = code == LM_OK ? std::string() : std::string(error_.message);
  return code;
}

lm_result StoreClient::Open(bool read_only) {
  Close();
  lm_store_open_args args = {};
  args.struct_size = sizeof(args);
  args.options_json = options_.c_str();
  args.config_dir = config_dir_.c_str();
  args.owner = &owner_;
  args.read_only = read_only ? 1 : 0;
  char option_key[LM_OPTION_KEY_MAX] = "(open wrote no option key)";
  args.option_key = option_key;
  std::strcpy(error_.message, "(open wrote no message)");
  lm_result code = api_->open(&args, &store_, &error_);
  option_key_ = code == LM_ERR_OPTION ? std::string(option_key) : std::string();
  if (code != LM_OK) store_ = nullptr;
  return Done(code);
}

void StoreClient::Close() {
  if (store_ != nullptr) api_->close(store_);
  store_ = nullptr;
}

lm_result StoreClient::Put(const RecordData& record) {
  lm_record view = record.ToC();
  return Done(api_->put_record(store_, &view, &error_));
}

lm_result StoreClient::Delete(int64_t version) { return Done(api_->delete_record(store_, version, &error_)); }

lm_result StoreClient::List(std::vector<RecordData>* records) {
  records->clear();
  // A record too small to hold its version stops the listing: the store
  // then fails the call, and so the test.
  auto visit = [](void* user, const lm_record* record) -> lm_result {
    return link_migration::store::from_c(*record, &static_cast<std::vector<RecordData>*>(user)->emplace_back())
               ? LM_OK
               : LM_ERROR;
  };
  return Done(api_->list_records(store_, visit, records, &error_));
}

lm_result StoreClient::Append(const EventData& event) {
  lm_event view = event.ToC();
  return Done(api_->append_event(store_, &view, &error_));
}

lm_result StoreClient::ListEvents(std::vector<EventData>* events) {
  events->clear();
  auto visit = [](void* user, const lm_event* event) -> lm_result {
    return link_migration::store::from_c(*event, &static_cast<std::vector<EventData>*>(user)->emplace_back())
               ? LM_OK
               : LM_ERROR;
  };
  return Done(api_->list_events(store_, visit, events, &error_));
}

lm_result StoreClient::Begin() { return Done(api_->begin(store_, &error_)); }
lm_result StoreClient::Commit() { return Done(api_->commit(store_, &error_)); }
lm_result StoreClient::Rollback() { return Done(api_->rollback(store_, &error_)); }
lm_result StoreClient::Lock(int64_t timeout_ms) { return Done(api_->lock(store_, timeout_ms, &error_)); }
lm_result StoreClient::Unlock() { return Done(api_->unlock(store_, &error_)); }
int32_t StoreClient::InTransaction() { return api_->in_transaction(store_); }
void* StoreClient::NativeHandle(const char* kind) { return api_->native_handle(store_, kind); }

namespace {

// The parent's ends of the pipes of every prober not yet run.
std::set<int>& LiveProberEnds() {
  static std::set<int> ends;
  return ends;
}

}  // namespace

LockProber::LockProber(const lm_store_api* api, const std::string& options_json, const std::string& config_dir) {
  int commands[2], reports[2];
  if (pipe(commands) != 0) {
    error_ = std::string("pipe: ") + std::strerror(errno);
    return;
  }
  if (pipe(reports) != 0) {
    error_ = std::string("pipe: ") + std::strerror(errno);
    close(commands[0]);
    close(commands[1]);
    return;
  }
  pid_ = fork();
  if (pid_ == 0) {
    // A prober made before this one must see its pipes close when its own
    // child exits, so this child keeps none of their ends. (Only those: the
    // store's files stay as they are, which SQLite's shared state expects.)
    for (int fd : LiveProberEnds()) close(fd);
    close(commands[1]);
    close(reports[0]);
    std::string command;
    char c;
    while (read(commands[0], &c, 1) == 1 && c != '\n') command += c;
    if (command.empty()) _exit(0);  // never run
    const int64_t timeout_ms = std::stoll(command);
    StoreClient store(api, options_json, config_dir);
    if (store.Open() != LM_OK) {
      WriteString(reports[1], "open\n" + store.message());
      _exit(1);
    }
    auto start = std::chrono::steady_clock::now();
    lm_result code = store.Lock(timeout_ms);
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    WriteString(reports[1], std::to_string(code) + " " + std::to_string(elapsed.count()) + "\n" + store.message());
    _exit(0);  // no destructors: exiting is what releases the lock
  }
  close(commands[0]);
  close(reports[1]);
  if (pid_ < 0) {
    error_ = std::string("fork: ") + std::strerror(errno);
    close(commands[1]);
    close(reports[0]);
    return;
  }
  command_fd_ = commands[1];
  report_fd_ = reports[0];
  LiveProberEnds().insert(command_fd_);
  LiveProberEnds().insert(report_fd_);
}

void LockProber::CloseEnd(int* fd) {
  if (*fd < 0) return;
  LiveProberEnds().erase(*fd);
  close(*fd);
  *fd = -1;
}

LockProber::~LockProber() {
  CloseEnd(&command_fd_);  // EOF: a child never run exits
  CloseEnd(&report_fd_);
  if (pid_ > 0) waitpid(pid_, nullptr, 0);
}

LockProbe LockProber::Run(int64_t timeout_ms) {
  LockProbe probe;
  probe.pid = pid_;
  if (pid_ <= 0 || command_fd_ < 0) {
    probe.message = error_.empty() ? "the prober was already run" : error_;
    return probe;
  }
  WriteString(command_fd_, std::to_string(timeout_ms) + "\n");
  CloseEnd(&command_fd_);
  std::string report;
  bool finished = ReadFromChild(report_fd_, &report);
  CloseEnd(&report_fd_);
  if (!finished) kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
  if (!finished) {
    probe.message = "the child trying the lock did not report within the time limit";
    return probe;
  }

  std::istringstream lines(report);
  std::string first;
  std::getline(lines, first);
  std::getline(lines, probe.message, '\0');
  if (first == "open" || first.empty()) {
    probe.message = "child could not open the store: " + probe.message;
    return probe;
  }
  std::istringstream numbers(first);
  numbers >> probe.code >> probe.elapsed_ms;
  probe.ran = true;
  return probe;
}

LockProbe ProbeLock(const lm_store_api* api, const std::string& options_json, const std::string& config_dir,
                    int64_t timeout_ms) {
  return LockProber(api, options_json, config_dir).Run(timeout_ms);
}

LockHolder::~LockHolder() { Kill(); }

bool LockHolder::Start(const lm_store_api* api, const std::string& options_json, const std::string& config_dir,
                       std::string* error) {
  int commands[2], reports[2];
  if (pipe(commands) != 0 || pipe(reports) != 0) {
    *error = std::string("pipe: ") + std::strerror(errno);
    return false;
  }
  pid_ = fork();
  if (pid_ == 0) {
    close(commands[1]);
    close(reports[0]);
    StoreClient store(api, options_json, config_dir);
    if (store.Open() != LM_OK) {
      WriteString(reports[1], "open failed: " + store.message() + "\n");
      _exit(1);
    }
    if (store.Lock(kChildTimeoutMs) != LM_OK) {
      WriteString(reports[1], "lock failed: " + store.message() + "\n");
      _exit(1);
    }
    WriteString(reports[1], "locked\n");
    char command = 0;
    ssize_t n;
    while ((n = read(commands[0], &command, 1)) < 0 && errno == EINTR) {
    }
    if (n == 1 && command == 'R') {
      if (store.Unlock() != LM_OK) _exit(2);
      store.Close();
      _exit(0);
    }
    _exit(3);  // the parent went away
  }
  close(commands[0]);
  close(reports[1]);
  command_fd_ = commands[1];
  report_fd_ = reports[0];
  if (pid_ < 0) {
    *error = std::string("fork: ") + std::strerror(errno);
    return false;
  }
  std::string report;
  if (!ReadFromChild(report_fd_, &report, '\n') || report != "locked\n") {
    *error = report.empty() ? "the lock holder did not report within the time limit" : report;
    Kill();
    return false;
  }
  return true;
}

bool LockHolder::Release() {
  if (pid_ <= 0) return false;
  WriteString(command_fd_, "R");
  // The report pipe reaches EOF when the child exits.
  std::string rest;
  if (!ReadFromChild(report_fd_, &rest)) {
    Kill();
    return false;
  }
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  Reap();
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

void LockHolder::Kill() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  Reap();
}

void LockHolder::Reap() {
  if (command_fd_ >= 0) close(command_fd_);
  if (report_fd_ >= 0) close(report_fd_);
  command_fd_ = report_fd_ = -1;
}

}  // namespace lm::store_test
