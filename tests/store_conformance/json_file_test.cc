// Tests of json-file.so beyond the conformance suite: its strict reading of
// a hand-edited file, atomic replacement, options and lock file.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "store_harness.h"
#include "support/files.h"

namespace lm::store_test {
namespace {

using lm::test::ReadFile;
using lm::test::WriteFile;

class JsonFileStore : public testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    api_ = LoadStore(LM_JSON_FILE_STORE, &error);
    ASSERT_NE(api_, nullptr) << error;
  }

  StoreClient Client(const std::string& options = R"({"path": "versions.json"})") {
    return StoreClient(api_, options, dir_.path());
  }
  std::string FilePath() const { return (dir_ / "versions.json").string(); }

  const lm_store_api* api_ = nullptr;
  TempDir dir_;
};

TEST_F(JsonFileStore, WritesAPrettyPrintedVersionedFile) {
  StoreClient store = Client();
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  ASSERT_EQ(store.Put(FullRecord(3)), LM_OK) << store.message();
  ASSERT_EQ(store.Append(FullEvent(3, LM_EVENT_APPLY)), LM_OK) << store.message();

  std::string text = ReadFile(FilePath());
  EXPECT_NE(text.find("\n  \"records\": [\n"), std::string::npos) << text;
  nlohmann::json file = nlohmann::json::parse(text);
  EXPECT_EQ(file["format"], "link-migration-versions");
  EXPECT_EQ(file["format_version"], 1);
  ASSERT_EQ(file["records"].size(), 1u);
  EXPECT_EQ(file["records"][0]["version"], 3);
  EXPECT_EQ(file["records"][0]["state"], "applied");
  EXPECT_EQ(file["records"][0]["checksum"], *FullRecord(3).checksum);
  ASSERT_EQ(file["events"].size(), 1u);
  EXPECT_EQ(file["events"][0]["kind"], "apply");
}

TEST_F(JsonFileStore, OpenCreatesAnEmptyFile) {
  StoreClient store = Client();
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  nlohmann::json file = nlohmann::json::parse(ReadFile(FilePath()));
  EXPECT_EQ(file["records"], nlohmann::json::array());
  EXPECT_EQ(file["events"], nlohmann::json::array());
}

struct CorruptCase {
  const char* name;
  const char* text;
  const char* expected;  // part of the message
};

class JsonFileCorruption : public JsonFileStore, public testing::WithParamInterface<CorruptCase> {};

const char kHeader[] = R"({"format": "link-migration-versions", "format_version": 1, )";

std::string WithHeader(const std::string& rest) { return kHeader + rest; }

const CorruptCase kCorruptCases[] = {
    {"Garbage", "this is not json at all", "not valid JSON"},
    {"Empty", "", "not valid JSON"},
    {"Truncated", R"({"format": "link-migration-versions", "format_version": 1, "rec)", "not valid JSON"},
    // Found by the json_file fuzz target: once an uncaught exception.
    {"NumberTooLargeForADouble",
     R"({"format": "link-migration-versions", "format_version": 1, "records": [{"version": 1e400}], "events": []})",
     "not valid JSON at line 1, column 88: a number too large"},
    // One parse, strict: a key said twice is refused, not "the last one wins".
    {"DuplicateKey",
     R"({"format": "link-migration-versions", "format_version": 1, "records": [{"version": 3, "state": "applied", "version": 4}], "events": []})",
     "$.records[0].version: duplicate key"},
    {"TopLevelArray", "[1, 2, 3]", "must be an object"},
    {"FutureFormatVersion",
     R"({"format": "link-migration-versions", "format_version": 2, "records": [], "events": []})",
     "format_version 2 is newer"},
    {"FormatVersionString",
     R"({"format": "link-migration-versions", "format_version": "1", "records": [], "events": []})",
     "format_version must be an integer"},
    {"MissingFormat", R"({"format_version": 1, "records": [], "events": []})", "format must be"},
    {"RecordsNotArray", R"({"format": "link-migration-versions", "format_version": 1, "records": {}, "events": []})",
     "records must be an array"},
    {"MissingEvents", R"({"format": "link-migration-versions", "format_version": 1, "records": []})",
     "events is missing"},
    {"VersionString",
     R"({"format": "link-migration-versions", "format_version": 1, "records": [{"version": "3", "state": "applied"}], "events": []})",
     "records[0].version must be an integer"},
    {"VersionFraction",
     R"({"format": "link-migration-versions", "format_version": 1, "records": [{"version": 3.5, "state": "applied"}], "events": []})",
     "records[0].version must be an integer"},
    {"VersionTooLarge",
     R"({"format": "link-migration-versions", "format_version": 1, "records": [{"version": 9223372036854775808, "state": "applied"}], "events": []})",
     "records[0].version is out of range"},
    {"UnknownState",
     R"({"format": "link-migration-versions", "format_version": 1, "records": [{"version": 3, "state": "done"}], "events": []})",
     "records[0].state must be one of"},
    {"NameNumber",
     R"({"format": "link-migration-versions", "format_version": 1, "records": [{"version": 3, "state": "applied", "name": 5}], "events": []})",
     "records[0].name must be a string or null"},
    {"MisspelledKey",
     R"({"format": "link-migration-versions", "format_version": 1, "records": [{"version": 3, "state": "applied", "checksun": "x"}], "events": []})",
     "unknown key \"checksun\""},
    {"DuplicateVersion",
     R"({"format": "link-migration-versions", "format_version": 1, "records": [{"version": 3, "state": "applied"}, {"version": 3, "state": "running"}], "events": []})",
     "version 3 more than once"},
    {"EventNotObject", R"({"format": "link-migration-versions", "format_version": 1, "records": [], "events": [7]})",
     "events[0] must be an object"},
};

TEST_P(JsonFileCorruption, IsReportedAndNeverOverwritten) {
  const CorruptCase& bad = GetParam();
  WriteFile(FilePath(), bad.text);

  for (bool read_only : {false, true}) {
    SCOPED_TRACE(read_only ? "read-only open" : "read-write open");
    StoreClient store = Client();
    EXPECT_EQ(store.Open(read_only), LM_ERR_CORRUPT) << store.message();
    EXPECT_NE(store.message().find(FilePath()), std::string::npos) << store.message();
    EXPECT_NE(store.message().find(bad.expected), std::string::npos) << store.message();
    EXPECT_EQ(store.message().find('\n'), std::string::npos);
  }
  EXPECT_EQ(ReadFile(FilePath()), bad.text);
}

TEST_P(JsonFileCorruption, BreakingTheFileWhileOpenStopsEveryChange) {
  const CorruptCase& bad = GetParam();
  StoreClient store = Client();
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  ASSERT_EQ(store.Put(FullRecord(1)), LM_OK) << store.message();
  WriteFile(FilePath(), bad.text);

  EXPECT_EQ(store.Put(FullRecord(2)), LM_ERR_CORRUPT) << store.message();
  EXPECT_EQ(store.Delete(1), LM_ERR_CORRUPT) << store.message();
  EXPECT_EQ(store.Append(FullEvent(1, LM_EVENT_APPLY)), LM_ERR_CORRUPT) << store.message();
  std::vector<RecordData> records;
  EXPECT_EQ(store.List(&records), LM_ERR_CORRUPT) << store.message();
  EXPECT_NE(store.message().find(FilePath()), std::string::npos) << store.message();
  EXPECT_EQ(ReadFile(FilePath()), bad.text);
}

INSTANTIATE_TEST_SUITE_P(Cases, JsonFileCorruption, testing::ValuesIn(kCorruptCases),
                         [](const testing::TestParamInfo<CorruptCase>& info) { return std::string(info.param.name); });

// The nesting limit the config has (docs/config.md), checked while parsing,
// before anything could recurse over the document.
TEST_F(JsonFileStore, NestingDeeperThanTheLimitIsCorrupt) {
  const size_t depth = 100000;
  const std::string text = WithHeader(R"("records": [], "events": )" + std::string(depth, '[') +
                                      std::string(depth, ']') + "}");
  WriteFile(FilePath(), text);
  StoreClient store = Client();
  EXPECT_EQ(store.Open(), LM_ERR_CORRUPT) << store.message();
  EXPECT_NE(store.message().find(FilePath() + ": $.events[0]"), std::string::npos) << store.message();
  EXPECT_NE(store.message().find(": nested deeper than 64 levels"), std::string::npos) << store.message();
  EXPECT_EQ(ReadFile(FilePath()), text);
}

TEST_F(JsonFileStore, ReadsAHandWrittenFileInAnyRecordOrder) {
  WriteFile(FilePath(), WithHeader(R"("records": [
      {"version": 9, "state": "failed-partial", "error": "boom"},
      {"version": 2, "state": "applied", "name": null}
    ], "events": []})"));
  StoreClient store = Client();
  ASSERT_EQ(store.Open(true), LM_OK) << store.message();
  std::vector<RecordData> records;
  ASSERT_EQ(store.List(&records), LM_OK) << store.message();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].version, 2);
  EXPECT_EQ(records[1].version, 9);
  EXPECT_EQ(records[1].state, LM_STATE_FAILED_PARTIAL);
  EXPECT_EQ(records[1].error, Text("boom"));
  EXPECT_EQ(records[1].name, Text());
}

TEST_F(JsonFileStore, LeavesNoTemporaryFilesBehind) {
  StoreClient store = Client();
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  ASSERT_EQ(store.Lock(0), LM_OK) << store.message();
  for (int64_t version = 1; version <= 20; ++version) {
    ASSERT_EQ(store.Put(FullRecord(version)), LM_OK) << store.message();
    ASSERT_EQ(store.Append(FullEvent(version, LM_EVENT_APPLY)), LM_OK) << store.message();
    if (version % 3 == 0) {
      ASSERT_EQ(store.Delete(version - 1), LM_OK) << store.message();
    }
    // After every change the file is whole.
    ASSERT_NO_THROW(nlohmann::json::parse(ReadFile(FilePath())));
  }
  EXPECT_EQ(dir_.Entries(), (std::vector<std::string>{"versions.json", "versions.json.lock"}));
}

// A reader in another process never sees a partly written file, however the
// reads and the writes interleave.
TEST_F(JsonFileStore, ConcurrentReaderAlwaysSeesAWholeFile) {
  StoreClient store = Client();
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  int stop[2], report[2];
  ASSERT_EQ(pipe(stop), 0);
  ASSERT_EQ(pipe(report), 0);
  pid_t reader = fork();
  ASSERT_GE(reader, 0);
  if (reader == 0) {
    close(stop[1]);
    close(report[0]);
    int reads = 0, broken = 0;
    for (;;) {
      pollfd done = {stop[0], POLLIN, 0};
      if (poll(&done, 1, 0) > 0) break;  // the writer closed the pipe
      std::string text = ReadFile(FilePath());
      ++reads;
      if (!nlohmann::json::accept(text)) ++broken;
    }
    std::string result = std::to_string(reads) + " " + std::to_string(broken);
    [[maybe_unused]] ssize_t n = write(report[1], result.data(), result.size());
    _exit(0);
  }
  close(stop[0]);
  close(report[1]);
  for (int64_t version = 1; version <= 150; ++version) {
    ASSERT_EQ(store.Put(FullRecord(version)), LM_OK) << store.message();
  }
  close(stop[1]);
  char buffer[64] = {};
  ssize_t n = read(report[0], buffer, sizeof(buffer) - 1);
  close(report[0]);
  waitpid(reader, nullptr, 0);
  ASSERT_GT(n, 0);
  int reads = 0, broken = 0;
  std::istringstream(buffer) >> reads >> broken;
  EXPECT_GT(reads, 0);
  EXPECT_EQ(broken, 0) << "of " << reads << " reads";
}

TEST_F(JsonFileStore, ReplacingTheFileKeepsItsPermissions) {
  StoreClient store = Client();
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  ASSERT_EQ(chmod(FilePath().c_str(), 0640), 0);
  ASSERT_EQ(store.Put(FullRecord(1)), LM_OK) << store.message();
  struct stat info;
  ASSERT_EQ(stat(FilePath().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0640u);
}

TEST_F(JsonFileStore, ReadOnlyStoreRefusesChanges) {
  {
    StoreClient creator = Client();
    ASSERT_EQ(creator.Open(), LM_OK) << creator.message();
  }
  std::string before = ReadFile(FilePath());
  StoreClient store = Client();
  ASSERT_EQ(store.Open(/*read_only=*/true), LM_OK) << store.message();
  EXPECT_NE(store.Put(FullRecord(1)), LM_OK);
  EXPECT_NE(store.message().find("read-only"), std::string::npos) << store.message();
  EXPECT_EQ(store.Lock(0), LM_OK) << store.message();  // a no-op that creates nothing
  EXPECT_EQ(ReadFile(FilePath()), before);
  EXPECT_EQ(dir_.Entries(), std::vector<std::string>{"versions.json"});
}

TEST_F(JsonFileStore, LockFileNamesTheHolder) {
  StoreClient store = Client();
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  ASSERT_EQ(store.Lock(0), LM_OK) << store.message();
  nlohmann::json owner = nlohmann::json::parse(ReadFile(FilePath() + ".lock"));
  EXPECT_EQ(owner["pid"], getpid());
  EXPECT_EQ(owner["user"], "conformance");
  EXPECT_EQ(owner["run_id"], "conformance-run-" + std::to_string(getpid()));
  EXPECT_EQ(owner["started_at"], "2026-11-21T21:17:47Z");
  ASSERT_EQ(store.Unlock(), LM_OK) << store.message();
  EXPECT_EQ(ReadFile(FilePath() + ".lock"), "");
}

struct OptionsCase {
  const char* name;
  const char* options;
  const char* key;       // what open names for the runner (lm_store_open_args.option_key)
  const char* expected;  // part of the message
};

class JsonFileOptions : public JsonFileStore, public testing::WithParamInterface<OptionsCase> {};

TEST_P(JsonFileOptions, AreRejectedNamingTheKey) {
  StoreClient store = Client(GetParam().options);
  EXPECT_EQ(store.Open(), LM_ERR_OPTION) << store.message();
  EXPECT_EQ(store.option_key(), GetParam().key);
  EXPECT_NE(store.message().find(GetParam().expected), std::string::npos) << store.message();
  EXPECT_TRUE(dir_.Entries().empty());
}

INSTANTIATE_TEST_SUITE_P(
    Cases, JsonFileOptions,
    testing::Values(OptionsCase{"Missing", "{}", "path", "json-file store option \"path\" is missing"},
                    OptionsCase{"Empty", R"({"path": ""})", "path", "option \"path\" is empty"},
                    // The type, never the value, which may be a secret from the environment.
                    OptionsCase{"Number", R"({"path": 5})", "path", "option \"path\" must be a string, got number"},
                    OptionsCase{"Unknown", R"({"path": "v.json", "pth": 1})", "pth", "option \"pth\" is unknown"},
                    OptionsCase{"NotJson", R"({"path": )", "", "store options: not valid JSON at line 1"},
                    OptionsCase{"NumberTooLarge", R"({"path": 1e400})", "", "a number too large"},
                    OptionsCase{"DuplicateKey", R"({"path": "a.json", "path": "b.json"})", "",
                                "store options: $.path: duplicate key"},
                    OptionsCase{"NotObject", R"(["v.json"])", "", "must be a JSON object, got array"}),
    [](const testing::TestParamInfo<OptionsCase>& info) { return std::string(info.param.name); });

TEST_F(JsonFileStore, MissingFolderIsNamed) {
  StoreClient store = Client(R"({"path": "no/such/folder/versions.json"})");
  EXPECT_NE(store.Open(), LM_OK);
  EXPECT_NE(store.message().find((dir_ / "no/such/folder").string()), std::string::npos) << store.message();
}

TEST_F(JsonFileStore, AbsolutePathIgnoresConfigDir) {
  TempDir other;
  StoreClient store(api_, R"({"path": ")" + (other / "v.json").string() + R"("})", dir_.path());
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  EXPECT_EQ(other.Entries(), std::vector<std::string>{"v.json"});
  EXPECT_TRUE(dir_.Entries().empty());
}

}  // namespace
}  // namespace lm::store_test
