// What the postgres store's tests share: the throwaway server the ctest
// fixture started (tests/postgres/pg_server.sh), found through
// PGSERVICEFILE; a fresh schema per test; a store client whose owner (and
// so run id) the test chooses (the store harness's); and a child process
// that holds the lock.
#ifndef LINK_MIGRATION_TESTS_POSTGRES_PG_TEST_SUPPORT_H
#define LINK_MIGRATION_TESTS_POSTGRES_PG_TEST_SUPPORT_H

#include <gtest/gtest.h>
#include <link_migration/store.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "store_harness.h"

namespace lm::pg_test {

// The fixture's folder: the one holding $PGSERVICEFILE. Empty when
// PGSERVICEFILE is not set (the test was not started by ctest).
std::string StateDir();
// A file the fixture wrote there ("password", "port"), without a trailing
// newline; empty when missing.
std::string StateFile(const std::string& name);

// postgres.so, loaded once; NULL with *error when it cannot be.
const lm_store_api* Api(std::string* error);

// A schema name no other test (or earlier run of this one) uses.
std::string FreshSchema(const std::string& hint);

// Store options: {"conninfo": "service=lm_test", "schema": schema} plus
// `extra`, whose keys win.
std::string Options(const std::string& schema, const nlohmann::json& extra = nlohmann::json::object());

// Runs `sql` as the superuser in database lm_test; the first column of
// each row ("" for NULL). Fails the current test on error.
std::vector<std::string> Query(const std::string& sql, const std::vector<std::string>& params = {});
// The first row's first column, or "" when there is no row.
std::string QueryOne(const std::string& sql, const std::vector<std::string>& params = {});
bool TableExists(const std::string& schema, const std::string& table);

// The harness's store client, opened as run `run_id` of `user` (the config
// folder is "/": postgres options name no files).
class Client : public store_test::StoreClient {
 public:
  Client(const lm_store_api* api, std::string options, std::string run_id, std::string user = "tester")
      : StoreClient(api, std::move(options), "/", {std::move(user), std::move(run_id)}) {}
};

// A forked child that opens the store as run `run_id`, takes the lock and
// holds it until killed. The destructor kills a child still running.
class ForkedHolder {
 public:
  ForkedHolder() = default;
  ~ForkedHolder() { Kill(); }
  ForkedHolder(const ForkedHolder&) = delete;
  ForkedHolder& operator=(const ForkedHolder&) = delete;

  // Returns once the child holds the lock, or false with *error. With
  // `then_sql`, the child next runs it on the store's connection (say, a
  // long pg_sleep), as a runner killed mid-statement would be.
  bool Start(const lm_store_api* api, const std::string& options, const std::string& run_id, std::string* error,
             const std::string& then_sql = "");
  pid_t pid() const { return pid_; }
  // SIGKILL, as a crashed worker or a lost machine: no unlock, no close.
  void Kill();

 private:
  pid_t pid_ = -1;
};

// The base of every test here: fails (never skips) when the fixture's
// server is not there, and gives each test a fresh schema.
class PgTest : public testing::Test {
 protected:
  void SetUp() override;

  const lm_store_api* api_ = nullptr;
  std::string schema_;
};

// Milliseconds since `start`.
int64_t ElapsedMs(std::chrono::steady_clock::time_point start);

}  // namespace lm::pg_test

#endif  // LINK_MIGRATION_TESTS_POSTGRES_PG_TEST_SUPPORT_H
