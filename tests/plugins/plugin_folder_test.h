// The fixture the runner and CLI tests build on: a fresh folder per test as
// the runner sees it (conf.json, the migrations folder the test copies
// plugins into, the sqlite store's target.db or the json-file store's
// versions.json, the ledger the test plugins write).
#ifndef LM_TEST_PLUGINS_PLUGIN_FOLDER_TEST_H
#define LM_TEST_PLUGINS_PLUGIN_FOLDER_TEST_H

#include <gtest/gtest.h>
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <set>

#include "test_plugins.h"

namespace lm_test {

class PluginFolderTest : public ::testing::Test {
 protected:
  fs::path ConfigFile() const { return dir_ / "conf.json"; }
  fs::path Database() const { return dir_ / "target.db"; }
  fs::path JsonStoreFile() const { return dir_ / "versions.json"; }
  fs::path MigrationsDir() const { return dir_ / "migrations"; }

  void AddPlugins(std::initializer_list<fs::path> plugins) {
    for (const fs::path& plugin : plugins) CopyPlugin(plugin, MigrationsDir());
  }

  // conf.json: the migrations folder, the sqlite store on target.db (or the
  // json-file store on versions.json), and `params`.
  void WriteConfig(const nlohmann::json& config) { WriteFile(ConfigFile(), config.dump(2)); }
  void UseSqlite(const nlohmann::json& params = nlohmann::json::object()) {
    WriteConfig({{"migrations", "migrations"},
                 {"store", {{"plugin", "sqlite"}, {"options", {{"database", "target.db"}}}}},
                 {"params", params}});
  }
  // Stores without a connection: the ledger goes to ledger.db (params.ledger_db).
  void UseJsonFile(nlohmann::json params = nlohmann::json::object()) {
    params["ledger_db"] = (dir_ / "ledger.db").string();
    WriteConfig({{"migrations", "migrations"},
                 {"store", {{"plugin", "json-file"}, {"options", {{"path", "versions.json"}}}}},
                 {"params", params}});
  }

  // The versions in the ledger of a sqlite run (target.db) and of a
  // json-file run (ledger.db).
  std::set<int64_t> Ledger() const { return ReadLedger(Database()); }
  std::set<int64_t> JsonFileLedger() const { return ReadLedger(dir_ / "ledger.db"); }

  TempDir dir_;
};

}  // namespace lm_test

#endif  // LM_TEST_PLUGINS_PLUGIN_FOLDER_TEST_H
