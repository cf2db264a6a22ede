// ${NAME} expansion in config strings: each form, each error, the JSON path
// of the string at fault, and that no error shows a variable's value.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "config/env_expand.h"

namespace lm_test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

class EnvExpandTest : public ::testing::Test {
 protected:
  lm::EnvLookup Lookup() const {
    return [this](const std::string& name) -> std::optional<std::string> {
      auto found = env_.find(name);
      if (found == env_.end()) return std::nullopt;
      return found->second;
    };
  }

  // The expansion, or "error: <why>".
  std::string Expand(const std::string& text) const {
    std::string error;
    std::optional<std::string> out = lm::ExpandEnv(text, Lookup(), &error);
    return out ? *out : "error: " + error;
  }

  std::map<std::string, std::string> env_{
      {"PGPASSWORD", "s3cret-Pa55"}, {"HOST", "db.internal"}, {"EMPTY", ""}, {"_x1", "u"}};
};

TEST_F(EnvExpandTest, NameExpands) {
  EXPECT_EQ(Expand("host=${HOST} password=${PGPASSWORD}"), "host=db.internal password=s3cret-Pa55");
  EXPECT_EQ(Expand("${_x1}${_x1}"), "uu");
  EXPECT_EQ(Expand("${EMPTY}"), "");
}

TEST_F(EnvExpandTest, DefaultWhenUnsetOrEmpty) {
  EXPECT_EQ(Expand("${NOT_SET:-localhost}"), "localhost");
  EXPECT_EQ(Expand("${EMPTY:-fallback}"), "fallback");
  EXPECT_EQ(Expand("${HOST:-localhost}"), "db.internal");
  EXPECT_EQ(Expand("${NOT_SET:-}"), "");
  EXPECT_EQ(Expand("${NOT_SET:-a:-b $x}"), "a:-b $x");
}

TEST_F(EnvExpandTest, DoubleDollarEscapes) {
  EXPECT_EQ(Expand("$${HOST}"), "${HOST}");
  EXPECT_EQ(Expand("$${NOT_SET"), "${NOT_SET");
  // Read left to right: "$" then "$${": no expansion.
  EXPECT_EQ(Expand("$$${HOST}"), "$${HOST}");
}

TEST_F(EnvExpandTest, OtherDollarsStay) {
  EXPECT_EQ(Expand("cost $5, $HOST, $$, $"), "cost $5, $HOST, $$, $");
  EXPECT_EQ(Expand("{HOST}"), "{HOST}");
}

TEST_F(EnvExpandTest, UnsetWithoutDefaultIsAnError) {
  EXPECT_EQ(Expand("password=${NOT_SET}"),
            "error: environment variable NOT_SET is not set (set it, or give a default: ${NOT_SET:-...})");
}

TEST_F(EnvExpandTest, Unterminated) {
  EXPECT_EQ(Expand("x ${HOST"), "error: unterminated '${' (write '$${' for a literal '${')");
}

TEST_F(EnvExpandTest, BadNames) {
  EXPECT_THAT(Expand("${}"), HasSubstr("error: '${}' is not ${NAME} or ${NAME:-default}"));
  EXPECT_THAT(Expand("${1X}"), HasSubstr("error: '${1X}' is not ${NAME}"));
  EXPECT_THAT(Expand("${HOST-x}"), HasSubstr("error: '${HOST-x}' is not ${NAME}"));
  EXPECT_THAT(Expand("${HOST:?}"), HasSubstr("error: '${HOST:?}' is not ${NAME}"));
}

TEST_F(EnvExpandTest, DefaultsAreNotExpanded) {
  EXPECT_EQ(Expand("${NOT_SET:-${HOST}}"),
            "error: the default of ${NOT_SET} contains '${': defaults are literal text, not expanded");
}

TEST_F(EnvExpandTest, ErrorsNeverShowValues) {
  for (const char* text : {"${PGPASSWORD}${NOT_SET}", "${PGPASSWORD} ${HOST", "${PGPASSWORD}${PGPASSWORD-x}",
                           "${PGPASSWORD}${NOT_SET:-${X}}"}) {
    const std::string result = Expand(text);
    EXPECT_THAT(result, HasSubstr("error: ")) << text;
    EXPECT_THAT(result, Not(HasSubstr("s3cret"))) << text;
    EXPECT_THAT(result, Not(HasSubstr("db.internal"))) << text;
  }
}

TEST_F(EnvExpandTest, JsonStringValuesAnywhere) {
  json document = json::parse(R"({
      "migrations": ["m", "${HOST}/m"],
      "store": {"plugin": "postgres", "options": {"conninfo": "password=${PGPASSWORD}", "n": 5}},
      "params": {"${HOST}": "${HOST:-x}", "deep": [[{"k": "$${HOST}"}]]}})");
  std::string path, error;
  ASSERT_TRUE(lm::ExpandEnvInJson(&document, Lookup(), &path, &error)) << path << ": " << error;
  EXPECT_EQ(document["migrations"][1], "db.internal/m");
  EXPECT_EQ(document["store"]["options"]["conninfo"], "password=s3cret-Pa55");
  EXPECT_EQ(document["store"]["options"]["n"], 5);
  // Keys are names, not values: left as written.
  EXPECT_EQ(document["params"]["${HOST}"], "db.internal");
  EXPECT_EQ(document["params"]["deep"][0][0]["k"], "${HOST}");
}

TEST_F(EnvExpandTest, JsonErrorNamesThePath) {
  json document = json::parse(R"({"store": {"plugin": "postgres",
      "options": {"conninfo": "host=${HOST} password=${PG_PASS}"}}})");
  std::string path, error;
  ASSERT_FALSE(lm::ExpandEnvInJson(&document, Lookup(), &path, &error));
  EXPECT_EQ(path, "$.store.options.conninfo");
  EXPECT_THAT(error, HasSubstr("environment variable PG_PASS is not set"));

  document = json::parse(R"({"migrations": ["a", "${NOPE}"], "params": {"x y": ["${NOPE}"]}})");
  ASSERT_FALSE(lm::ExpandEnvInJson(&document, Lookup(), &path, &error));
  EXPECT_EQ(path, "$.migrations[1]");
  document = json::parse(R"({"params": {"x y": [1, "${NOPE}"]}})");
  ASSERT_FALSE(lm::ExpandEnvInJson(&document, Lookup(), &path, &error));
  EXPECT_EQ(path, "$.params['x y'][1]");
}

TEST_F(EnvExpandTest, ProcessEnvironmentReadsGetenv) {
  setenv("LM_ENV_EXPAND_TEST", "from-the-process", 1);
  unsetenv("LM_ENV_EXPAND_TEST_UNSET");
  const lm::EnvLookup env = lm::ProcessEnvironment();
  EXPECT_EQ(env("LM_ENV_EXPAND_TEST"), std::optional<std::string>("from-the-process"));
  EXPECT_EQ(env("LM_ENV_EXPAND_TEST_UNSET"), std::nullopt);
  unsetenv("LM_ENV_EXPAND_TEST");
}

}  // namespace
}  // namespace lm_test
