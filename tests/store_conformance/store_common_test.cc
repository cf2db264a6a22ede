// Tests of runner/stores/common, the code both shipped stores share: the
// C boundary (exceptions, NULLs, structs from older headers), the error
// buffer, and the lock file.
#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <cstring>
#include <future>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>

#include "common/error_buffer.h"
#include "common/lock_file.h"
#include "common/owner.h"
#include "common/plugin_api.h"
#include "store_harness.h"

namespace lm::stores {
namespace {

TEST(SetError, MakesOneLine) {
  lm_error err;
  SetError(&err, "first line\nsecond\r\nthird");
  EXPECT_STREQ(err.message, "first line second  third");
}

TEST(SetError, TruncatesAtACharacterBoundary) {
  // "é" is two bytes; place one across the last byte that fits.
  std::string message(LM_ERROR_MESSAGE_MAX - 2, 'a');
  message += "\xc3\xa9tail";
  lm_error err;
  std::memset(err.message, 'x', sizeof(err.message));
  SetError(&err, message);
  EXPECT_EQ(std::strlen(err.message), static_cast<size_t>(LM_ERROR_MESSAGE_MAX - 2));
  EXPECT_EQ(std::string(err.message), std::string(LM_ERROR_MESSAGE_MAX - 2, 'a'));
}

TEST(SetError, LongAsciiFillsTheBufferAndEndsInNul) {
  lm_error err;
  SetError(&err, std::string(5000, 'b'));
  EXPECT_EQ(std::strlen(err.message), static_cast<size_t>(LM_ERROR_MESSAGE_MAX - 1));
  SetError(nullptr, "ignored");  // must not crash
}

// A store whose every operation throws what the test chose.
enum class Throw { kRuntimeError, kBadAlloc, kInt };
Throw g_throw = Throw::kRuntimeError;

[[noreturn]] void ThrowChosen() {
  switch (g_throw) {
    case Throw::kRuntimeError:
      throw std::runtime_error("boom");
    case Throw::kBadAlloc:
      throw std::bad_alloc();
    case Throw::kInt:
      throw 42;
  }
  throw 0;
}

class ThrowingStore : public Store {
 public:
  Status ListRecords(const RecordVisitor&) override { ThrowChosen(); }
  Status PutRecord(const Record&) override { ThrowChosen(); }
  Status DeleteRecord(int64_t) override { ThrowChosen(); }
  void* NativeHandle(const char*) override { ThrowChosen(); }
};

Status OpenThrowing(const lm_store_open_args& args, std::unique_ptr<Store>* out) {
  if (std::strcmp(args.options_json, "{\"throw\": true}") == 0) ThrowChosen();
  *out = std::make_unique<ThrowingStore>();
  return Status::Ok();
}

// Keeps the last record put, to see what the boundary handed over.
class RecordingStore : public Store {
 public:
  static inline Record last;
  Status ListRecords(const RecordVisitor&) override { return Status::Ok(); }
  Status PutRecord(const Record& record) override {
    last = record;
    return Status::Ok();
  }
  Status DeleteRecord(int64_t) override { return Status::Ok(); }
};

Status OpenRecording(const lm_store_open_args&, std::unique_ptr<Store>* out) {
  *out = std::make_unique<RecordingStore>();
  return Status::Ok();
}

// Refuses the option its options text names.
Status OpenRefusingOption(const lm_store_open_args& args, std::unique_ptr<Store>* /*out*/) {
  return Status::OptionError(args.options_json, std::string("refused option ") + args.options_json);
}

constexpr lm_store_api kThrowing = MakeStoreApi<&OpenThrowing>("throwing", LM_STORE_CAP_NATIVE_HANDLE);
constexpr lm_store_api kRecording = MakeStoreApi<&OpenRecording>("recording", 0);
constexpr lm_store_api kRefusing = MakeStoreApi<&OpenRefusingOption>("refusing", 0);

lm_store* OpenOrNull(const lm_store_api& api, const char* options, lm_error* err) {
  lm_store_open_args args = {sizeof(args), options, "/tmp", nullptr, 0, nullptr};
  lm_store* store = nullptr;
  return api.open(&args, &store, err) == LM_OK ? store : nullptr;
}

TEST(PluginApi, OnlyClaimedCapabilitiesHaveFunctions) {
  EXPECT_NE(kThrowing.native_handle, nullptr);
  EXPECT_EQ(kThrowing.begin, nullptr);
  EXPECT_EQ(kThrowing.lock, nullptr);
  EXPECT_EQ(kThrowing.append_event, nullptr);
  EXPECT_EQ(kRecording.native_handle, nullptr);
}

TEST(PluginApi, ExceptionsBecomeErrors) {
  lm_error err;
  g_throw = Throw::kRuntimeError;
  EXPECT_EQ(OpenOrNull(kThrowing, "{\"throw\": true}", &err), nullptr);
  EXPECT_STREQ(err.message, "internal error in store: boom");

  lm_store* store = OpenOrNull(kThrowing, "{}", &err);
  ASSERT_NE(store, nullptr) << err.message;
  auto visit = [](void*, const lm_record*) -> lm_result { return LM_OK; };
  EXPECT_EQ(kThrowing.list_records(store, visit, nullptr, &err), LM_ERROR);
  EXPECT_STREQ(err.message, "internal error in store: boom");

  g_throw = Throw::kBadAlloc;
  EXPECT_EQ(kThrowing.delete_record(store, 1, &err), LM_ERROR);
  EXPECT_STREQ(err.message, "out of memory");

  g_throw = Throw::kInt;
  lm_record record = {};
  record.struct_size = sizeof(record);
  record.state = LM_STATE_APPLIED;
  EXPECT_EQ(kThrowing.put_record(store, &record, &err), LM_ERROR);
  EXPECT_STREQ(err.message, "internal error in store: unknown exception");
  EXPECT_EQ(kThrowing.native_handle(store, "sqlite3"), nullptr);
  kThrowing.close(store);
}

TEST(PluginApi, AnOptionErrorNamesTheKeyWhereTheCallerGaveRoomForIt) {
  char key[LM_OPTION_KEY_MAX] = "untouched";
  lm_store_open_args args = {sizeof(args), "database", "/tmp", nullptr, 0, key};
  lm_store* store = nullptr;
  lm_error err;
  EXPECT_EQ(kRefusing.open(&args, &store, &err), LM_ERR_OPTION);
  EXPECT_STREQ(key, "database");
  EXPECT_STREQ(err.message, "refused option database");

  // Cut short it could name another key: none is named instead.
  const std::string too_long(LM_OPTION_KEY_MAX, 'k');
  args.options_json = too_long.c_str();
  EXPECT_EQ(kRefusing.open(&args, &store, &err), LM_ERR_OPTION);
  EXPECT_STREQ(key, "");

  // A runner built before option_key: the field is beyond its struct_size
  // and neither read nor written.
  std::strcpy(key, "untouched");
  args.options_json = "database";
  args.struct_size = offsetof(lm_store_open_args, option_key);
  EXPECT_EQ(kRefusing.open(&args, &store, &err), LM_ERR_OPTION);
  EXPECT_STREQ(key, "untouched");
  EXPECT_STREQ(err.message, "refused option database");
}

TEST(PluginApi, NullArgumentsAreErrors) {
  lm_error err;
  lm_store* store = nullptr;
  EXPECT_EQ(kRecording.open(nullptr, &store, &err), LM_ERROR);
  EXPECT_STREQ(err.message, "open: args is NULL");
  EXPECT_EQ(kRecording.put_record(nullptr, nullptr, &err), LM_ERROR);
  EXPECT_STREQ(err.message, "store handle is NULL");

  store = OpenOrNull(kRecording, "{}", &err);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(kRecording.put_record(store, nullptr, &err), LM_ERROR);
  EXPECT_STREQ(err.message, "record is NULL");
  EXPECT_EQ(kRecording.list_records(store, nullptr, nullptr, &err), LM_ERROR);
  kRecording.close(store);
  kRecording.close(nullptr);
}

TEST(PluginApi, RefusesAnUnknownState) {
  lm_error err;
  lm_store* store = OpenOrNull(kRecording, "{}", &err);
  ASSERT_NE(store, nullptr);
  lm_record record = {};
  record.struct_size = sizeof(record);
  record.version = 12;
  record.state = 9;
  EXPECT_EQ(kRecording.put_record(store, &record, &err), LM_ERROR);
  EXPECT_STREQ(err.message, "record of version 12 has state 9, which is not one of LM_STATE_*");
  kRecording.close(store);
}

TEST(PluginApi, ReadsOnlyTheFieldsAnOlderRecordHas) {
  lm_error err;
  lm_store* store = OpenOrNull(kRecording, "{}", &err);
  ASSERT_NE(store, nullptr);
  store_test::RecordData full = store_test::FullRecord(5);
  lm_record record = full.ToC();
  // A caller built before run_id existed: the field holds garbage it never set.
  record.struct_size = offsetof(lm_record, run_id);
  record.run_id = reinterpret_cast<const char*>(0x1);
  ASSERT_EQ(kRecording.put_record(store, &record, &err), LM_OK) << err.message;
  EXPECT_EQ(RecordingStore::last.attempts, full.attempts);
  EXPECT_EQ(RecordingStore::last.run_id, std::nullopt);

  record.struct_size = offsetof(lm_record, version);  // not even a version
  EXPECT_EQ(kRecording.put_record(store, &record, &err), LM_ERROR);
  kRecording.close(store);
}

TEST(DescribeLockHolder, NamesWhatItKnows) {
  Owner owner{"alice", "host1", 4242, "3f2a", "2026-11-21T21:17:47Z"};
  EXPECT_EQ(DescribeLockHolder(OwnerToLockFileText(owner)),
            "alice@host1 pid 4242 (run 3f2a) since 2026-11-21T21:17:47Z");
  EXPECT_EQ(DescribeLockHolder(R"({"pid": 7})"), "pid 7");
  EXPECT_EQ(DescribeLockHolder(""), "another process (it has not written its owner details yet)");
  EXPECT_EQ(DescribeLockHolder("garbage"), "another process (the lock file holds no owner details)");
}

TEST(LockFile, HugeTimeoutWaitsInsteadOfOverflowing) {
  store_test::TempDir dir;
  Owner owner{"alice", "host1", 1, "", ""};
  LockFile holder((dir / "x.lock").string());
  ASSERT_TRUE(holder.Lock(owner, 0).ok());

  // flock excludes other open files of the same process too.
  LockFile waiter((dir / "x.lock").string());
  auto result =
      std::async(std::launch::async, [&] { return waiter.Lock(owner, std::numeric_limits<int64_t>::max()).code(); });
  EXPECT_EQ(result.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout)
      << "Lock(INT64_MAX) returned while the lock was held";
  ASSERT_TRUE(holder.Unlock().ok());
  EXPECT_EQ(result.get(), LM_OK);
}

TEST(LockFile, TimeoutMessageNamesFileAndHolder) {
  store_test::TempDir dir;
  LockFile holder((dir / "app.db.lock").string());
  ASSERT_TRUE(holder.Lock(Owner{"alice", "host1", 4242, "3f2a", "2026-11-21T21:17:47Z"}, 0).ok());
  LockFile waiter((dir / "app.db.lock").string());
  Status status = waiter.Lock(Owner{"bob", "host2", 1, "", ""}, 50);
  EXPECT_EQ(status.code(), LM_ERR_LOCK_TIMEOUT);
  EXPECT_EQ(status.message(), "lock on " + (dir / "app.db.lock").string() +
                                  " is held by alice@host1 pid 4242 (run 3f2a) since 2026-11-21T21:17:47Z; gave "
                                  "up after 50 ms");
}

}  // namespace
}  // namespace lm::stores
