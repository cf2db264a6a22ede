// The postgres store beyond the conformance suite: options, connecting,
// passwords, the tables it creates, and transactions that cover work done
// through its libpq handle.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "pg_test_support.h"

namespace lm::pg_test {
namespace {

using store_test::FullEvent;
using store_test::FullRecord;
using store_test::RecordData;

std::string RunId() { return "run-" + std::to_string(getpid()); }

// A TCP port on 127.0.0.1 where nothing listens: bound, then closed.
int ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(fd);
    return 1;  // nothing listens on port 1 either
  }
  close(fd);
  return ntohs(address.sin_port);
}

// Runs SQL through the store's own connection.
bool HandleExec(PGconn* conn, const std::string& sql, std::string* error = nullptr) {
  PGresult* result = PQexec(conn, sql.c_str());
  ExecStatusType status = PQresultStatus(result);
  bool ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
  if (!ok && error != nullptr) *error = PQresultErrorMessage(result);
  PQclear(result);
  return ok;
}

std::string HandleQueryOne(PGconn* conn, const std::string& sql) {
  PGresult* result = PQexec(conn, sql.c_str());
  std::string value =
      PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) > 0 ? PQgetvalue(result, 0, 0) : "";
  PQclear(result);
  return value;
}

class PostgresOptions : public PgTest {
 protected:
  // Opens with `options` and returns the failure message ("" on success).
  std::string OpenFails(const std::string& options, lm_result expected = LM_ERR_OPTION) {
    Client store(api_, options, RunId());
    lm_result code = store.Open();
    EXPECT_EQ(code, expected) << store.message();
    return store.message();
  }
};

TEST_F(PostgresOptions, ConninfoIsRequired) {
  EXPECT_EQ(OpenFails(R"({"schema": "x"})"), "postgres store option \"conninfo\" is missing");
}

TEST_F(PostgresOptions, UnknownOptionIsNamed) {
  std::string message = OpenFails(Options(schema_, {{"lease_second", 5}}));
  EXPECT_NE(message.find("\"lease_second\" is unknown"), std::string::npos) << message;
  EXPECT_NE(message.find("lease_seconds"), std::string::npos) << message;
}

// The key goes to the runner apart, which names it in the config as
// $.store.options.lock.
TEST_F(PostgresOptions, AnOptionErrorNamesTheKeyForTheRunner) {
  Client store(api_, Options(schema_, {{"lock", "flock"}}), RunId());
  EXPECT_EQ(store.Open(), LM_ERR_OPTION) << store.message();
  EXPECT_EQ(store.option_key(), "lock");
}

TEST_F(PostgresOptions, LockModeMustBeAdvisoryOrLease) {
  EXPECT_EQ(OpenFails(Options(schema_, {{"lock", "flock"}})),
            "postgres store option \"lock\" must be \"advisory\" or \"lease\", got \"flock\"");
}

TEST_F(PostgresOptions, LeaseSecondsMustBeAWholePositiveNumber) {
  for (nlohmann::json bad : {nlohmann::json(0), nlohmann::json(-3), nlohmann::json(1.5), nlohmann::json("30")}) {
    std::string message = OpenFails(Options(schema_, {{"lock", "lease"}, {"lease_seconds", bad}}));
    EXPECT_NE(message.find("\"lease_seconds\" must be a whole number of seconds"), std::string::npos) << message;
  }
}

TEST_F(PostgresOptions, TablePrefixIsAPlainIdentifier) {
  std::string message = OpenFails(Options(schema_, {{"table_prefix", "lm; DROP TABLE x"}}));
  EXPECT_NE(message.find("\"table_prefix\" may hold only letters, digits and underscores"), std::string::npos)
      << message;
  message = OpenFails(Options(schema_, {{"table_prefix", std::string(60, 'p')}}));
  EXPECT_NE(message.find("too long"), std::string::npos) << message;
}

TEST_F(PostgresOptions, SchemaLongerThanPostgresAllowsIsRefused) {
  std::string message = OpenFails(Options(std::string(64, 's')));
  EXPECT_NE(message.find("longer than PostgreSQL's 63 bytes"), std::string::npos) << message;
}

TEST_F(PostgresOptions, MissingPasswordVariableIsNamed) {
  unsetenv("LM_PG_TEST_NO_SUCH_VARIABLE");
  EXPECT_EQ(OpenFails(Options(schema_, {{"password_env", "LM_PG_TEST_NO_SUCH_VARIABLE"}})),
            "postgres store option \"password_env\" names the environment variable LM_PG_TEST_NO_SUCH_VARIABLE, "
            "which is not set or empty");
}

class PostgresConnect : public PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    if (HasFatalFailure()) return;
    password_ = StateFile("password");
    ASSERT_GE(password_.size(), 16u) << "the fixture wrote no password for lm_secret";
    setenv("LM_PG_TEST_PASSWORD", password_.c_str(), 1);
  }
  void TearDown() override { unsetenv("LM_PG_TEST_PASSWORD"); }

  std::string password_;
};

TEST_F(PostgresConnect, PasswordFromTheEnvironmentConnects) {
  Client store(api_, Options(schema_, {{"conninfo", "service=lm_secret"}, {"password_env", "LM_PG_TEST_PASSWORD"}}),
               RunId());
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  ASSERT_EQ(store.Put(FullRecord(1)), LM_OK) << store.message();
  std::vector<RecordData> records;
  ASSERT_EQ(store.List(&records), LM_OK) << store.message();
  EXPECT_EQ(records, std::vector<RecordData>{FullRecord(1)});
  EXPECT_EQ(QueryOne("SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = $1", {schema_}), "lm_secret");
}

TEST_F(PostgresConnect, WithoutThePasswordTheServerRefuses) {
  Client store(api_, Options(schema_, {{"conninfo", "service=lm_secret"}}), RunId());
  EXPECT_EQ(store.Open(), LM_ERR_UNAVAILABLE);
  EXPECT_NE(store.message().find("password"), std::string::npos) << store.message();
}

// Every way a password can reach the store, and failures that quote the
// conninfo or the server: the password never shows.
TEST_F(PostgresConnect, PasswordNeverAppearsInAnyMessage) {
  const std::string port = StateFile("port");
  const std::string closed = std::to_string(ClosedPort());
  setenv("LM_PG_TEST_WRONG_PASSWORD", "Wr0ng-Pa55word-7f3c", 1);
  struct Case {
    const char* label;
    nlohmann::json options;
    std::string secret;
  };
  const std::vector<Case> cases = {
      {"wrong database, password from password_env",
       {{"conninfo", "service=lm_secret dbname=no_such_database"}, {"password_env", "LM_PG_TEST_PASSWORD"}},
       password_},
      {"wrong database, password in the conninfo",
       {{"conninfo", "service=lm_secret dbname=no_such_database password=" + password_}},
       password_},
      {"quoted password in the conninfo, wrong database",
       {{"conninfo", "service=lm_secret dbname=no_such_database password='" + password_ + " x'"}},
       password_},
      {"wrong password from password_env",
       {{"conninfo", "service=lm_secret"}, {"password_env", "LM_PG_TEST_WRONG_PASSWORD"}},
       "Wr0ng-Pa55word-7f3c"},
      {"URI with a password, closed port",
       {{"conninfo", "postgresql://lm_secret:" + password_ + "@127.0.0.1:" + closed + "/lm_test"}},
       password_},
      {"malformed conninfo holding a password",
       {{"conninfo", "host=127.0.0.1 password=" + password_ + " port"}},
       password_},
      {"unknown conninfo keyword after the password",
       {{"conninfo", "password=" + password_ + " hots=127.0.0.1"}},
       password_},
      {"password in a URI with a bad port",
       {{"conninfo", "postgresql://lm_secret:" + password_ + "@127.0.0.1:notaport/lm_test"}},
       password_},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    Client store(api_, Options(schema_, c.options), RunId());
    ASSERT_NE(store.Open(), LM_OK);
    EXPECT_FALSE(store.message().empty());
    EXPECT_EQ(store.message().find(c.secret), std::string::npos) << store.message();
  }
  // A conninfo of the wrong type is quoted back in the message.
  Client object(api_, Options(schema_, {{"conninfo", {{"host", "127.0.0.1"}, {"password", password_}}}}), RunId());
  ASSERT_NE(object.Open(), LM_OK);
  EXPECT_NE(object.message().find("must be a string"), std::string::npos) << object.message();
  EXPECT_EQ(object.message().find(password_), std::string::npos) << object.message();
  // Options that are not even JSON quote the text around the error.
  Client broken(api_, R"({"conninfo": "password=)" + password_ + R"( host=x" "schema": 1})", RunId());
  ASSERT_NE(broken.Open(), LM_OK);
  EXPECT_EQ(broken.message().find(password_), std::string::npos) << broken.message();
  unsetenv("LM_PG_TEST_WRONG_PASSWORD");
}

TEST_F(PostgresConnect, WrongDatabaseSaysWhich) {
  Client store(api_,
               Options(schema_, {{"conninfo", "service=lm_secret dbname=no_such_database"},
                                 {"password_env", "LM_PG_TEST_PASSWORD"}}),
               RunId());
  ASSERT_EQ(store.Open(), LM_ERR_UNAVAILABLE);
  EXPECT_NE(store.message().find("no_such_database"), std::string::npos) << store.message();
}

TEST_F(PostgresConnect, ClosedPortIsUnavailableWithinTheConnectTimeout) {
  const std::string port = std::to_string(ClosedPort());
  Client store(api_,
               Options(schema_, {{"conninfo", "host=127.0.0.1 port=" + port + " dbname=lm_test connect_timeout=3"}}),
               RunId());
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(store.Open(), LM_ERR_UNAVAILABLE) << store.message();
  EXPECT_LT(ElapsedMs(start), 5000);
  EXPECT_NE(store.message().find("cannot connect to PostgreSQL"), std::string::npos) << store.message();
  EXPECT_NE(store.message().find("127.0.0.1"), std::string::npos) << store.message();
  EXPECT_NE(store.message().find(port), std::string::npos) << store.message();
  EXPECT_NE(store.message().find("refused"), std::string::npos) << store.message();
  EXPECT_EQ(store.message().find('\n'), std::string::npos) << "not one line: " << store.message();
}

TEST_F(PostgresConnect, ApplicationNameNamesTheRun) {
  Client store(api_, Options(schema_), "3f2a91c07d5e11aa", "alice");
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  auto* conn = static_cast<PGconn*>(store.NativeHandle("libpq"));
  ASSERT_NE(conn, nullptr);
  std::string name = HandleQueryOne(conn, "SHOW application_name");
  EXPECT_EQ(name.rfind("link-migration alice@", 0), 0u) << name;
  EXPECT_NE(name.find(" pid " + std::to_string(getpid())), std::string::npos) << name;
  EXPECT_NE(name.find(" run 3f2a91c0"), std::string::npos) << name;
  EXPECT_LE(name.size(), 63u);
}

TEST_F(PostgresConnect, LongOwnerNamesKeepThePid) {
  Client store(api_, Options(schema_), std::string(40, 'r'), std::string(50, 'u'));
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  std::string name = HandleQueryOne(static_cast<PGconn*>(store.NativeHandle("libpq")), "SHOW application_name");
  EXPECT_NE(name.find(" pid " + std::to_string(getpid()) + " run rrrrrrrr"), std::string::npos) << name;
  EXPECT_LE(name.size(), 63u);
}

class PostgresSchema : public PgTest {};

TEST_F(PostgresSchema, CreatesTheSchemaAndPrefixedTables) {
  for (const char* lock : {"advisory", "lease"}) {
    SCOPED_TRACE(lock);
    const std::string schema = FreshSchema(lock);
    Client store(api_, Options(schema, {{"table_prefix", "app_"}, {"lock", lock}}), RunId());
    ASSERT_EQ(store.Open(), LM_OK) << store.message();
    EXPECT_TRUE(TableExists(schema, "app_records"));
    EXPECT_TRUE(TableExists(schema, "app_events"));
    // The lock table only where a lease needs it.
    EXPECT_EQ(TableExists(schema, "app_lock"), std::string(lock) == "lease");
  }
}

TEST_F(PostgresSchema, DefaultsArePublicAndLinkMigrationPrefix) {
  // In a database of its own, so that "public" is this test's alone.
  const std::string database = schema_;
  Query("CREATE DATABASE " + database);
  Client store(api_, R"({"conninfo": "service=lm_test dbname=)" + database + R"("})", RunId());
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  ASSERT_EQ(store.Put(FullRecord(1)), LM_OK) << store.message();
  PGconn* conn = static_cast<PGconn*>(store.NativeHandle("libpq"));
  EXPECT_EQ(HandleQueryOne(conn, "SELECT count(*) FROM public.link_migration_records"), "1");
  EXPECT_EQ(HandleQueryOne(conn, "SELECT count(*) FROM public.link_migration_events"), "0");
}

TEST_F(PostgresSchema, ReadOnlyOpenCreatesNothing) {
  {
    Client store(api_, Options(schema_), RunId());
    ASSERT_EQ(store.Open(/*read_only=*/true), LM_OK) << store.message();
    std::vector<RecordData> records;
    ASSERT_EQ(store.List(&records), LM_OK) << store.message();
    EXPECT_TRUE(records.empty());
    EXPECT_EQ(store.Lock(0), LM_OK) << "a read-only store has nothing to lock: " << store.message();
    EXPECT_EQ(store.Put(FullRecord(1)), LM_ERROR);
    EXPECT_NE(store.message().find("read-only"), std::string::npos) << store.message();
  }
  EXPECT_EQ(QueryOne("SELECT count(*) FROM pg_namespace WHERE nspname = $1", {schema_}), "0");
}

TEST_F(PostgresSchema, ReadOnlyStoreSeesTablesCreatedLater) {
  Client reader(api_, Options(schema_), RunId());
  ASSERT_EQ(reader.Open(/*read_only=*/true), LM_OK) << reader.message();
  Client writer(api_, Options(schema_), RunId());
  ASSERT_EQ(writer.Open(), LM_OK) << writer.message();
  ASSERT_EQ(writer.Put(FullRecord(4)), LM_OK) << writer.message();
  std::vector<RecordData> records;
  ASSERT_EQ(reader.List(&records), LM_OK) << reader.message();
  EXPECT_EQ(records, std::vector<RecordData>{FullRecord(4)});
}

TEST_F(PostgresSchema, OddSchemaNamesAreQuoted) {
  const std::string schema = "We\"ird sch.ema; DROP " + std::to_string(getpid());
  Client store(api_, Options(schema), RunId());
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  ASSERT_EQ(store.Put(FullRecord(2)), LM_OK) << store.message();
  EXPECT_TRUE(TableExists(schema, "link_migration_records"));
  Query("DROP SCHEMA \"We\"\"ird sch.ema; DROP " + std::to_string(getpid()) + "\" CASCADE");
}

TEST_F(PostgresSchema, ConcurrentFirstOpensBothSucceed) {
  // Two processes creating the same store at once must not collide in the
  // catalog.
  const std::string options = Options(schema_, {{"lock", "lease"}});
  std::vector<pid_t> children;
  for (int i = 0; i < 4; ++i) {
    pid_t pid = fork();
    if (pid == 0) {
      Client store(api_, options, RunId());
      _exit(store.Open() == LM_OK ? 0 : 1);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
}

TEST_F(PostgresSchema, InvalidUtf8IsStoredAsReplacementCharacters) {
  Client store(api_, Options(schema_), RunId());
  ASSERT_EQ(store.Open(), LM_OK) << store.message();
  RecordData record = FullRecord(9);
  record.error = std::string("bad byte \xff and cut \xc3");
  ASSERT_EQ(store.Put(record), LM_OK) << store.message();
  std::vector<RecordData> records;
  ASSERT_EQ(store.List(&records), LM_OK) << store.message();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].error, std::string("bad byte \xef\xbf\xbd and cut \xef\xbf\xbd"));
}

class PostgresTransactions : public PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    if (HasFatalFailure()) return;
    client_ = std::make_unique<Client>(api_, Options(schema_), RunId());
    ASSERT_EQ(store().Open(), LM_OK) << store().message();
    conn_ = static_cast<PGconn*>(store().NativeHandle("libpq"));
    ASSERT_NE(conn_, nullptr);
  }

  std::string table() const { return "\"" + schema_ + "\".users"; }
  bool HasUsersTable() { return TableExists(schema_, "users"); }
  std::vector<RecordData> Records() {
    std::vector<RecordData> records;
    EXPECT_EQ(store().List(&records), LM_OK) << store().message();
    return records;
  }

  Client& store() { return *client_; }

  std::unique_ptr<Client> client_;
  PGconn* conn_ = nullptr;
};

TEST_F(PostgresTransactions, NativeHandleIsTheStoresLibpqConnection) {
  EXPECT_EQ(store().NativeHandle("sqlite3"), nullptr);
  EXPECT_EQ(PQstatus(conn_), CONNECTION_OK);
  EXPECT_EQ(HandleQueryOne(conn_, "SHOW client_encoding"), "UTF8");
}

TEST_F(PostgresTransactions, HandleWorkRollsBackWithTheRecord) {
  ASSERT_EQ(store().Begin(), LM_OK) << store().message();
  std::string error;
  ASSERT_TRUE(HandleExec(conn_, "CREATE TABLE " + table() + " (id integer)", &error)) << error;
  ASSERT_TRUE(HandleExec(conn_, "INSERT INTO " + table() + " VALUES (1)", &error)) << error;
  ASSERT_EQ(store().Put(FullRecord(1)), LM_OK) << store().message();
  ASSERT_EQ(store().Append(FullEvent(1, LM_EVENT_APPLY)), LM_OK) << store().message();
  ASSERT_EQ(store().Rollback(), LM_OK) << store().message();
  EXPECT_FALSE(HasUsersTable());
  EXPECT_TRUE(Records().empty());
}

TEST_F(PostgresTransactions, HandleWorkCommitsWithTheRecord) {
  ASSERT_EQ(store().Begin(), LM_OK) << store().message();
  std::string error;
  ASSERT_TRUE(HandleExec(conn_, "CREATE TABLE " + table() + " (id integer)", &error)) << error;
  ASSERT_EQ(store().Put(FullRecord(1)), LM_OK) << store().message();
  ASSERT_EQ(store().Commit(), LM_OK) << store().message();
  EXPECT_TRUE(HasUsersTable());
  EXPECT_EQ(Records(), std::vector<RecordData>{FullRecord(1)});
}

TEST_F(PostgresTransactions, AFailedStatementMakesCommitFailAndNothingStays) {
  ASSERT_EQ(store().Begin(), LM_OK) << store().message();
  ASSERT_TRUE(HandleExec(conn_, "CREATE TABLE " + table() + " (id integer)"));
  // The migration ignores this failure; the transaction is now aborted.
  EXPECT_FALSE(HandleExec(conn_, "INSERT INTO " + table() + " VALUES ('not a number')"));
  EXPECT_EQ(store().Commit(), LM_ERROR);
  EXPECT_NE(store().message().find("nothing was committed"), std::string::npos) << store().message();
  // The runner then rolls back, which must report success: it was undone.
  EXPECT_EQ(store().Rollback(), LM_OK) << store().message();
  EXPECT_FALSE(HasUsersTable());
  EXPECT_TRUE(Records().empty());
}

TEST_F(PostgresTransactions, ARecordThatCannotBeWrittenRollsBackTheStep) {
  ASSERT_EQ(store().Begin(), LM_OK) << store().message();
  ASSERT_TRUE(HandleExec(conn_, "CREATE TABLE " + table() + " (id integer)"));
  EXPECT_FALSE(HandleExec(conn_, "SELECT no_such_column FROM " + table()));
  EXPECT_EQ(store().Put(FullRecord(1)), LM_ERROR);
  EXPECT_NE(store().message().find("aborted"), std::string::npos) << store().message();
  EXPECT_EQ(store().Rollback(), LM_OK) << store().message();
  EXPECT_FALSE(HasUsersTable());
  EXPECT_TRUE(Records().empty());
}

TEST_F(PostgresTransactions, ACommitThroughTheHandleIsReported) {
  ASSERT_EQ(store().Begin(), LM_OK) << store().message();
  ASSERT_TRUE(HandleExec(conn_, "CREATE TABLE " + table() + " (id integer)"));
  ASSERT_TRUE(HandleExec(conn_, "COMMIT"));
  EXPECT_EQ(store().Rollback(), LM_ERROR);
  EXPECT_NE(store().message().find("already ended through the native handle"), std::string::npos) << store().message();
}

TEST_F(PostgresTransactions, BeginTwiceIsRefused) {
  ASSERT_EQ(store().Begin(), LM_OK) << store().message();
  EXPECT_EQ(store().Begin(), LM_ERROR);
  EXPECT_NE(store().message().find("already open"), std::string::npos) << store().message();
  EXPECT_EQ(store().Rollback(), LM_OK) << store().message();
  EXPECT_EQ(store().Commit(), LM_ERROR);
  EXPECT_NE(store().message().find("no transaction is open"), std::string::npos) << store().message();
}

TEST_F(PostgresTransactions, CloseWithAnOpenTransactionRollsItBack) {
  ASSERT_EQ(store().Begin(), LM_OK) << store().message();
  ASSERT_TRUE(HandleExec(conn_, "CREATE TABLE " + table() + " (id integer)"));
  ASSERT_EQ(store().Put(FullRecord(1)), LM_OK) << store().message();
  store().Close();
  EXPECT_FALSE(HasUsersTable());
  ASSERT_EQ(store().Open(), LM_OK) << store().message();
  EXPECT_TRUE(Records().empty());
}

}  // namespace
}  // namespace lm::pg_test
