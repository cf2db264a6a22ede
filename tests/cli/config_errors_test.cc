// Errors that come from the config file: one line naming the file and the
// place at fault (line and column, or the JSONPath), exit 3, and never the
// config's own text, which may hold a password.
#include <string>

#include "cli_fixture.h"

namespace lm_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class ConfigErrorTest : public CliTest {
 protected:
  // A config whose "params" value is `params_text`, written as is.
  void WriteConfigWithParams(const std::string& params_text) {
    fs::create_directories(MigrationsDir());
    WriteFile(ConfigFile(), R"({"migrations": "migrations", "store": {"plugin": "sqlite", "options": )"
                            R"({"database": "target.db"}}, "params": )" +
                                params_text + "}");
  }
};

TEST_F(ConfigErrorTest, InvalidJsonNamesLineAndColumnWithoutTheLibrarysText) {
  WriteFile(ConfigFile(), "{\n  \"migrations\": \"migrations\",,\n}");
  const CliResult result = Run({"status"});
  LM_EXPECT_ERROR(result, 3, ConfigFile().string() + ": not valid JSON at line 2, column 30: ");
  EXPECT_THAT(result.err, Not(HasSubstr("json.exception")));
}

// nlohmann's message ends in "last read: '<the token so far>'": here that
// would be the conninfo up to the control character, password included.
TEST_F(ConfigErrorTest, AControlCharacterAfterAPasswordDoesNotPrintThePassword) {
  WriteFile(ConfigFile(), R"({"migrations": "migrations", "store": {"plugin": "postgres", "options": )"
                          R"({"conninfo": "host=db password=hunter2)"
                          "\x01"
                          R"( user=app"}}})");
  const CliResult result = Run({"status"});
  LM_EXPECT_ERROR(result, 3, ConfigFile().string() + ": not valid JSON at line 1, column 111: ");
  EXPECT_THAT(result.err, HasSubstr("control character U+0001"));
  EXPECT_THAT(result.err, Not(HasSubstr("hunter2")));
  EXPECT_THAT(result.err, Not(HasSubstr("password")));
  EXPECT_THAT(result.err, Not(HasSubstr("json.exception")));
}

TEST_F(ConfigErrorTest, ANumberTooLargeIsNamedWithoutQuotingIt) {
  WriteFile(ConfigFile(), R"({"migrations": "migrations", "lock_timeout_ms": 1e999})");
  const CliResult result = Run({"status"});
  LM_EXPECT_ERROR(result, 3, ConfigFile().string() + ": not valid JSON at line 1, column 53: a number too large");
  EXPECT_THAT(result.err, Not(HasSubstr("1e999")));
}

TEST_F(ConfigErrorTest, ADuplicateKeyIsNamedByItsPath) {
  fs::create_directories(MigrationsDir());
  WriteFile(ConfigFile(), R"({"migrations": "migrations", "store": {"plugin": "sqlite", "options": )"
                          R"({"database": "target.db", "database": "other.db"}}})");
  LM_EXPECT_ERROR(Run({"status"}), 3, ConfigFile().string() + ": $.store.options.database: duplicate key");
  WriteFile(ConfigFile(), R"({"migrations": "migrations", "migrations": "elsewhere"})");
  LM_EXPECT_ERROR(Run({"status"}), 3, ConfigFile().string() + ": $.migrations: duplicate key");
}

// 60,000 levels once crashed the runner (SIGSEGV: recursion over params).
TEST_F(ConfigErrorTest, NestingDeeperThanTheLimitIsRefusedBeforeAnythingRecurses) {
  const size_t depth = 60000;
  WriteConfigWithParams(R"({"a": )" + std::string(depth, '[') + std::string(depth, ']') + "}");
  const CliResult result = Run({"status"});
  std::string path = "$.params.a";
  // $, params, a and these make 65 levels: the first one beyond the limit.
  for (int level = 4; level <= 65; ++level) path += "[0]";
  LM_EXPECT_ERROR(result, 3, ConfigFile().string() + ": " + path + ": nested deeper than 64 levels");
}

TEST_F(ConfigErrorTest, NestingUpToTheLimitIsAccepted) {
  const size_t depth = 62;  // $ and params make 64
  WriteConfigWithParams(R"({"a": )" + std::string(depth, '[') + std::string(depth, ']') + "}");
  LM_EXPECT_OK(Run({"status"}));
}

TEST_F(ConfigErrorTest, AMissingMigrationsFolderIsNamedByItsPath) {
  fs::create_directories(MigrationsDir());
  WriteConfig({{"migrations", {"migrations", "hotfixes"}},
               {"store", {{"plugin", "sqlite"}, {"options", {{"database", "target.db"}}}}}});
  LM_EXPECT_ERROR(Run({"status"}), 3,
                  ConfigFile().string() + ": $.migrations[1]: " + (dir_ / "hotfixes").string() + " does not exist");
  WriteConfig({{"migrations", "hotfixes"}, {"store", {{"plugin", "sqlite"}, {"options", {{"database", "target.db"}}}}}});
  LM_EXPECT_ERROR(Run({"up"}), 3, ConfigFile().string() + ": $.migrations: " + (dir_ / "hotfixes").string());
}

TEST_F(ConfigErrorTest, AFolderGivenAsTheConfigIsNamedAsOne) {
  LM_EXPECT_ERROR(RunRaw({"-c", dir_.path().string(), "status"}), 3,
                  dir_.path().string() + ": is a folder, not a config file");
}

// A store names the option it refuses (lm_store_open_args.option_key); the
// runner names it in the config. Once exit 5, naming the store plugin's path.
TEST_F(ConfigErrorTest, AStoreOptionTheSqliteStoreRefusesIsNamedInTheConfig) {
  fs::create_directories(MigrationsDir());
  WriteConfig({{"migrations", "migrations"}, {"store", {{"plugin", "sqlite"}, {"options", {{"databse", "target.db"}}}}}});
  const CliResult misspelt = Run({"status"});
  LM_EXPECT_ERROR(misspelt, 3,
                  ConfigFile().string() + ": $.store.options.databse: sqlite store option \"databse\" is unknown");
  EXPECT_THAT(misspelt.err, Not(HasSubstr("sqlite.so")));

  WriteConfig({{"migrations", "migrations"}, {"store", {{"plugin", "sqlite"}, {"options", {{"database", true}}}}}});
  LM_EXPECT_ERROR(Run({"up"}), 3,
                  ConfigFile().string() + ": $.store.options.database: sqlite store option \"database\" must be a "
                                          "string, got boolean");

  WriteConfig({{"migrations", "migrations"}, {"store", {{"plugin", "sqlite"}}}});
  LM_EXPECT_ERROR(Run({"status"}), 3,
                  ConfigFile().string() + ": $.store.options.database: sqlite store option \"database\" is missing");
}

TEST_F(ConfigErrorTest, AStoreOptionTheJsonFileStoreRefusesIsNamedInTheConfig) {
  fs::create_directories(MigrationsDir());
  WriteConfig({{"migrations", "migrations"}, {"store", {{"plugin", "json-file"}, {"options", {{"path", 5}}}}}});
  LM_EXPECT_ERROR(Run({"status"}), 3,
                  ConfigFile().string() + ": $.store.options.path: json-file store option \"path\" must be a string, "
                                          "got number");
  WriteConfig({{"migrations", "migrations"},
               {"store", {{"plugin", "json-file"}, {"options", {{"path", "v.json"}, {"pth", "v.json"}}}}}});
  LM_EXPECT_ERROR(Run({"status"}), 3, ConfigFile().string() + ": $.store.options.pth: json-file store option \"pth\"");
}

}  // namespace
}  // namespace lm_test
