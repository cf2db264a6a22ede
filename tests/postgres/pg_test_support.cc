#include "pg_test_support.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "support/files.h"

namespace lm::pg_test {

namespace {

constexpr int kChildTimeoutMs = 20000;

}  // namespace

std::string StateDir() {
  const char* service_file = std::getenv("PGSERVICEFILE");
  if (service_file == nullptr || *service_file == '\0') return "";
  std::string path = service_file;
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

std::string StateFile(const std::string& name) {
  const std::filesystem::path file = StateDir() + "/" + name;
  if (!std::filesystem::exists(file)) return "";
  std::string value = test::ReadFile(file);
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
  return value;
}

const lm_store_api* Api(std::string* error) { return store_test::LoadStore(LM_POSTGRES_STORE, error); }

std::string FreshSchema(const std::string& hint) {
  static std::atomic<int> counter{0};
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return "t_" + hint.substr(0, 30) + "_" + std::to_string(getpid()) + "_" +
         std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(now).count() % 1000000000) + "_" +
         std::to_string(counter++);
}

std::string Options(const std::string& schema, const nlohmann::json& extra) {
  nlohmann::json options = {{"conninfo", "service=lm_test"}, {"schema", schema}};
  for (const auto& item : extra.items()) options[item.key()] = item.value();
  return options.dump();
}

std::vector<std::string> Query(const std::string& sql, const std::vector<std::string>& params) {
  std::vector<std::string> rows;
  PGconn* conn = PQconnectdb("service=lm_test connect_timeout=10");
  if (PQstatus(conn) != CONNECTION_OK) {
    ADD_FAILURE() << "cannot connect to the test server: " << PQerrorMessage(conn);
    PQfinish(conn);
    return rows;
  }
  std::vector<const char*> values;
  for (const std::string& param : params) values.push_back(param.c_str());
  PGresult* result =
      PQexecParams(conn, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0);
  ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    ADD_FAILURE() << sql << ": " << PQresultErrorMessage(result);
  } else {
    for (int row = 0; row < PQntuples(result); ++row) rows.push_back(PQgetvalue(result, row, 0));
  }
  PQclear(result);
  PQfinish(conn);
  return rows;
}

std::string QueryOne(const std::string& sql, const std::vector<std::string>& params) {
  std::vector<std::string> rows = Query(sql, params);
  return rows.empty() ? "" : rows.front();
}

bool TableExists(const std::string& schema, const std::string& table) {
  return QueryOne("SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename = $2", {schema, table}) == "1";
}

bool ForkedHolder::Start(const lm_store_api* api, const std::string& options, const std::string& run_id,
                         std::string* error, const std::string& then_sql) {
  int report[2];
  if (pipe(report) != 0) {
    *error = std::string("pipe: ") + std::strerror(errno);
    return false;
  }
  pid_ = fork();
  if (pid_ == 0) {
    close(report[0]);
    Client store(api, options, run_id);
    std::string outcome = "locked\n";
    if (store.Open() != LM_OK) {
      outcome = "open failed: " + store.message() + "\n";
    } else if (store.Lock(kChildTimeoutMs) != LM_OK) {
      outcome = "lock failed: " + store.message() + "\n";
    }
    [[maybe_unused]] ssize_t written = write(report[1], outcome.data(), outcome.size());
    if (outcome != "locked\n") _exit(1);
    if (!then_sql.empty()) PQclear(PQexec(static_cast<PGconn*>(store.NativeHandle("libpq")), then_sql.c_str()));
    for (;;) pause();  // until SIGKILL
  }
  close(report[1]);
  if (pid_ < 0) {
    *error = std::string("fork: ") + std::strerror(errno);
    close(report[0]);
    return false;
  }
  std::string text;
  pollfd waiting = {report[0], POLLIN, 0};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kChildTimeoutMs);
  while (text.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    if (poll(&waiting, 1, 100) <= 0) continue;
    char buffer[512];
    ssize_t n = read(report[0], buffer, sizeof(buffer));
    if (n <= 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  close(report[0]);
  if (text != "locked\n") {
    *error = text.empty() ? "the lock holder did not report in time" : text;
    Kill();
    return false;
  }
  return true;
}

void ForkedHolder::Kill() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  pid_ = -1;
}

void PgTest::SetUp() {
  ASSERT_FALSE(StateDir().empty())
      << "PGSERVICEFILE is not set: run these tests through ctest, whose fixture \"postgres\" "
         "(tests/postgres/pg_server.sh) starts the server and points PGSERVICEFILE at it";
  ASSERT_FALSE(StateFile("port").empty()) << "the test server's connection info is missing from " << StateDir();
  std::string error;
  api_ = Api(&error);
  ASSERT_NE(api_, nullptr) << error;
  const testing::TestInfo* test = testing::UnitTest::GetInstance()->current_test_info();
  std::string hint = test->name();
  for (char& c : hint) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  schema_ = FreshSchema(hint);
}

int64_t ElapsedMs(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace lm::pg_test
