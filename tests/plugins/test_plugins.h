// What the runner and CLI tests share: where the test plugins and the stores
// were built, copying plugins into a test's folder, and a reader for the test
// plugins' ledger table. TempDir, ReadFile and WriteFile come from
// tests/support.
#ifndef LM_TEST_PLUGINS_TEST_PLUGINS_H
#define LM_TEST_PLUGINS_TEST_PLUGINS_H

#include <sqlite3.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <string>

#include "support/files.h"
#include "support/temp_dir.h"

namespace lm_test {

namespace fs = std::filesystem;

// The test plugins (tests/plugins/CMakeLists.txt), by what they do.
namespace plugin {
inline const fs::path kLedger1 = LM_TEST_PLUGIN_LEDGER_1;  // versions 1..4: reversible ledger rows
inline const fs::path kLedger2 = LM_TEST_PLUGIN_LEDGER_2;
inline const fs::path kLedger3 = LM_TEST_PLUGIN_LEDGER_3;
inline const fs::path kLedger4 = LM_TEST_PLUGIN_LEDGER_4;
inline const fs::path kIrreversible = LM_TEST_PLUGIN_IRREVERSIBLE;  // 5
inline const fs::path kBundle = LM_TEST_PLUGIN_BUNDLE;              // 20, 21, 22
inline const fs::path kThrows = LM_TEST_PLUGIN_THROWS;              // 30
inline const fs::path kCError = LM_TEST_PLUGIN_C_ERROR;             // 31
inline const fs::path kParamFail = LM_TEST_PLUGIN_PARAM_FAIL;       // 32: fails while params.fail_32
inline const fs::path kNoTransaction = LM_TEST_PLUGIN_NO_TRANSACTION;  // 33: fails while params.fail_33
inline const fs::path kOutput = LM_TEST_PLUGIN_OUTPUT;              // 34
inline const fs::path kChangelog = LM_TEST_PLUGIN_CHANGELOG;        // 35: fails while params.fail_35
inline const fs::path kChangelog45 = LM_TEST_PLUGIN_CHANGELOG_45;   // 45: the same
inline const fs::path kParams = LM_TEST_PLUGIN_PARAMS;              // 36
inline const fs::path kChatty = LM_TEST_PLUGIN_CHATTY;              // 37: 200,000 lines
inline const fs::path kDuplicate = LM_TEST_PLUGIN_DUPLICATE;        // 2 again
inline const fs::path kEmpty = LM_TEST_PLUGIN_EMPTY;                // no migrations
inline const fs::path kUnresolved = LM_TEST_PLUGIN_UNRESOLVED;      // 38: loading fails (undefined symbol)
inline const fs::path kLoadCrash = LM_TEST_PLUGIN_LOAD_CRASH;       // 39: SIGSEGV while it loads
inline const fs::path kHelperA = LM_TEST_PLUGIN_HELPER_A;           // 40
inline const fs::path kHelperB = LM_TEST_PLUGIN_HELPER_B;           // 41
inline const fs::path kExportedHelperA = LM_TEST_PLUGIN_EXPORTED_HELPER_A;  // 42
inline const fs::path kExportedHelperB = LM_TEST_PLUGIN_EXPORTED_HELPER_B;  // 43
inline const fs::path kBlob = LM_TEST_PLUGIN_BLOB;                  // 44: params.blob_bytes in one row
// A store, not a migration: sqlite with a descriptor from before lm_store_api.in_transaction.
inline const fs::path kFirstAbiStore = LM_TEST_PLUGIN_FIRST_ABI_STORE;
// The struct_size fixtures (abi_shapes_*.c): migrations...
inline const fs::path kAbiOlder = LM_TEST_PLUGIN_ABI_OLDER;  // 60, 61: smallest and first-release descriptors
inline const fs::path kAbiNewer = LM_TEST_PLUGIN_ABI_NEWER;  // 62: fields appended that no runner knows
inline const fs::path kAbiShortPlugin = LM_TEST_PLUGIN_ABI_SHORT_PLUGIN;        // 63: plugin descriptor too small
inline const fs::path kAbiShortMigration = LM_TEST_PLUGIN_ABI_SHORT_MIGRATION;  // 64: migration descriptor too small
// ...and stores, named by the shape of their descriptor, records and events.
inline const fs::path kAbiStoreSmallest = LM_TEST_PLUGIN_ABI_STORE_SMALLEST;
inline const fs::path kAbiStoreFirst = LM_TEST_PLUGIN_ABI_STORE_FIRST;
inline const fs::path kAbiStoreNext = LM_TEST_PLUGIN_ABI_STORE_NEXT;
inline const fs::path kAbiStoreNewer = LM_TEST_PLUGIN_ABI_STORE_NEWER;
inline const fs::path kAbiStoreApiTooSmall = LM_TEST_PLUGIN_ABI_STORE_API_TOO_SMALL;
inline const fs::path kAbiStoreRecordTooSmall = LM_TEST_PLUGIN_ABI_STORE_RECORD_TOO_SMALL;
inline const fs::path kAbiStoreEventTooSmall = LM_TEST_PLUGIN_ABI_STORE_EVENT_TOO_SMALL;
inline const fs::path kWrongAbi = LM_TEST_PLUGIN_WRONG_ABI;         // claims ABI 99
inline const fs::path kNoEntry = LM_TEST_PLUGIN_NO_ENTRY;           // no link_migration_plugin
}  // namespace plugin

// The runner's own store folder (sqlite.so, json-file.so).
inline const fs::path kStoreDir = LM_TEST_STORE_DIR;
// plugins_example's user-written store with the minimal two-function contract.
inline const fs::path kVersionFileStore = LM_TEST_VERSION_FILE_STORE;

using lm::test::ReadFile;
using lm::test::TempDir;
using lm::test::WriteFile;

// Copies `plugin` into `folder`, under `name` (default: its own file name).
inline fs::path CopyPlugin(const fs::path& plugin, const fs::path& folder, const std::string& name = "") {
  fs::create_directories(folder);
  fs::path target = folder / (name.empty() ? plugin.filename().string() : name);
  fs::copy_file(plugin, target, fs::copy_options::overwrite_existing);
  return target;
}

// Every file under `folder`, as paths relative to it.
inline std::set<std::string> ListFiles(const fs::path& folder) {
  std::set<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(folder))
    if (entry.is_regular_file()) files.insert(fs::relative(entry.path(), folder).string());
  return files;
}

// The versions in the test plugins' ledger table; empty when the database or
// the table does not exist (yet).
inline std::set<int64_t> ReadLedger(const fs::path& database) {
  std::set<int64_t> versions;
  if (!fs::exists(database)) return versions;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error("cannot open " + database.string());
  }
  sqlite3_stmt* query = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT version FROM ledger ORDER BY version", -1, &query, nullptr) == SQLITE_OK) {
    while (sqlite3_step(query) == SQLITE_ROW) versions.insert(sqlite3_column_int64(query, 0));
  }
  sqlite3_finalize(query);
  sqlite3_close(db);
  return versions;
}

// Runs `sql` on `database` (a test's "fix by hand").
inline void ExecSql(const fs::path& database, const std::string& sql) {
  sqlite3* db = nullptr;
  char* message = nullptr;
  const bool ok = sqlite3_open(database.c_str(), &db) == SQLITE_OK &&
                  sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) == SQLITE_OK;
  const std::string reason = message ? message : "";
  sqlite3_free(message);
  sqlite3_close(db);
  if (!ok) throw std::runtime_error("sqlite on " + database.string() + ": " + reason);
}

}  // namespace lm_test

#endif  // LM_TEST_PLUGINS_TEST_PLUGINS_H
