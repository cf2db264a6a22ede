// The one strict JSON parse (runner/src/base/json_parse.h) the config, the
// json-file store and bundle manifests share: no key twice, nesting bounded
// before anything recurses, and errors that never quote the text.
#include "base/json_parse.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "catalog/bundle.h"

namespace lm {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Nested(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST(JsonParse, ReadsAValue) {
  nlohmann::json value;
  JsonParseError error;
  ASSERT_TRUE(ParseJson(R"({"a": [1, {"b": null}], "c": "d"})", &value, &error)) << Describe(error);
  EXPECT_EQ(value, nlohmann::json::parse(R"({"a": [1, {"b": null}], "c": "d"})"));
}

TEST(JsonParse, RefusesAKeyWrittenTwiceNamingItsPath) {
  nlohmann::json value;
  JsonParseError error;
  EXPECT_FALSE(ParseJson(R"({"a": [{"x": 1}, {"y": 1, "y": 2}]})", &value, &error));
  EXPECT_EQ(Describe(error), "$.a[1].y: duplicate key");
}

TEST(JsonParse, NestsUpToTheLimitAndNoDeeper) {
  nlohmann::json value;
  JsonParseError error;
  EXPECT_TRUE(ParseJson(Nested(kMaxJsonDepth), &value, &error)) << Describe(error);
  EXPECT_FALSE(ParseJson(Nested(kMaxJsonDepth + 1), &value, &error));
  EXPECT_THAT(error.message, HasSubstr("nested deeper than 64 levels"));
  EXPECT_FALSE(ParseJson(Nested(1000000), &value, &error));
  EXPECT_EQ(error.path.size(), std::string("$").size() + kMaxJsonDepth * std::string("[0]").size());
}

TEST(JsonParse, ASyntaxErrorNamesTheLineAndColumnWithoutTheText) {
  nlohmann::json value;
  JsonParseError error;
  EXPECT_FALSE(ParseJson("{\n  \"k\": \"password=secret\x01\"\n}", &value, &error));
  EXPECT_EQ(error.path, "");
  EXPECT_THAT(error.message, HasSubstr("not valid JSON at line 2, column 24: "));
  EXPECT_THAT(error.message, Not(HasSubstr("secret")));
  EXPECT_THAT(error.message, Not(HasSubstr("json.exception")));
  EXPECT_FALSE(ParseJson("[1e400]", &value, &error));
  EXPECT_EQ(error.message, "not valid JSON at line 1, column 6: a number too large to represent");
  EXPECT_FALSE(ParseJson("", &value, &error));
  EXPECT_THAT(error.message, HasSubstr("not valid JSON at line 1, column 1: "));
  EXPECT_FALSE(ParseJson("{} x", &value, &error));
  EXPECT_THAT(error.message, HasSubstr("not valid JSON at line 1, column 4: "));
}

TEST(JsonParse, ABundleManifestNestedTooDeepIsRefused) {
  BundleManifest manifest;
  const Status status = ParseBundleManifest(
      "app.lmb", R"({"format": 1, "name": "b", "version": "1", "files": )" + Nested(100000) + "}", &manifest);
  EXPECT_EQ(status.kind(), ErrorKind::kPluginLoad);
  EXPECT_THAT(status.message(), HasSubstr("app.lmb"));
  EXPECT_THAT(status.message(), HasSubstr("manifest.json: $.files[0]"));
  EXPECT_THAT(status.message(), HasSubstr("nested deeper than 64 levels"));
}

TEST(JsonParse, ABundleManifestWithAKeyTwiceIsRefused) {
  BundleManifest manifest;
  const Status status = ParseBundleManifest("app.lmb", R"({"format": 1, "format": 1})", &manifest);
  EXPECT_EQ(status.kind(), ErrorKind::kPluginLoad);
  EXPECT_THAT(status.message(), HasSubstr("manifest.json: $.format: duplicate key"));
}

}  // namespace
}  // namespace lm
