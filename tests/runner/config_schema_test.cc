// The config schema: the embedded copy is docs/conf.schema.json, it uses
// only what the validator implements, the shipped example configs match it,
// and the validator reports each kind of failure at the exact JSON path.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/config_schema.h"
#include "support/files.h"

namespace lm_test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using lm::test::ReadFile;

// "" when `instance` matches `schema`, else "<path>: <message>".
std::string Check(const json& schema, const json& instance) {
  lm::SchemaError error;
  if (lm::ValidateAgainstSchema(schema, instance, &error)) return "";
  return error.path + ": " + error.message;
}

TEST(ConfigSchemaTest, EmbeddedSchemaIsTheDocsFile) {
  const std::string docs = ReadFile(LM_CONFIG_SCHEMA_FILE);
  ASSERT_FALSE(docs.empty());
  EXPECT_EQ(lm::ConfigSchemaText(), docs);
}

TEST(ConfigSchemaTest, EmbeddedSchemaUsesOnlySupportedKeywords) {
  ASSERT_FALSE(lm::ConfigSchema().is_discarded());
  EXPECT_EQ(lm::SchemaProblem(lm::ConfigSchema()), "");
}

TEST(ConfigSchemaTest, EveryKeyIsDocumentedInConfigMd) {
  const std::string docs = ReadFile(LM_CONFIG_DOC_FILE);
  const json& properties = lm::ConfigSchema()["properties"];
  size_t keys = 0;
  for (const auto& [key, schema] : properties.items()) {
    if (key == "$schema") continue;
    std::vector<std::string> names{key};
    if (schema.contains("properties")) {
      names.clear();
      for (const auto& [inner, unused] : schema["properties"].items()) names.push_back(key + "." + inner);
    }
    for (const std::string& name : names) {
      ++keys;
      EXPECT_THAT(docs, HasSubstr("| `" + name + "` |")) << name << " has no row in docs/config.md";
    }
  }
  EXPECT_GE(keys, 13u);
}

TEST(ConfigSchemaTest, ExampleConfigsMatch) {
  size_t checked = 0;
  for (const fs::directory_entry& entry : fs::directory_iterator(LM_EXAMPLES_SOURCE_DIR)) {
    if (entry.path().extension() != ".json") continue;
    SCOPED_TRACE(entry.path().string());
    json config = json::parse(ReadFile(entry.path()));
    EXPECT_EQ(Check(lm::ConfigSchema(), config), "");
    ++checked;
  }
  EXPECT_GE(checked, 3u);  // conf.json, conf-bundle.json, conf-version-file.json
}

TEST(ConfigSchemaTest, SchemaProblemFindsUnsupportedKeyword) {
  EXPECT_EQ(lm::SchemaProblem(json::parse(R"({"properties": {"a": {"oneOf": []}}})")),
            "#/properties/a: unsupported keyword 'oneOf'");
  EXPECT_EQ(lm::SchemaProblem(json::parse(R"({"items": {"$ref": "#"}})")), "#/items: unsupported keyword '$ref'");
}

TEST(ConfigSchemaTest, SchemaProblemFindsBadKeywordValues) {
  EXPECT_EQ(lm::SchemaProblem(json::parse(R"({"minimum": "1"})")), "#/minimum: must be a number");
  EXPECT_EQ(lm::SchemaProblem(json::parse(R"({"type": "text"})")),
            "#/type: must be a type name or an array of them");
  EXPECT_EQ(lm::SchemaProblem(json::parse(R"({"pattern": "(["})")),
            "#/pattern: is not an ECMAScript regular expression");
  EXPECT_EQ(lm::SchemaProblem(json::parse(R"({"minLength": -1})")), "#/minLength: must be a nonnegative integer");
  EXPECT_EQ(lm::SchemaProblem(json::parse(R"({"description": "annotations pass", "minLength": 1})")), "");
}

TEST(ConfigSchemaTest, TypeArrays) {
  const json schema = json::parse(R"({"type": ["string", "array", "null"]})");
  EXPECT_EQ(Check(schema, "x"), "");
  EXPECT_EQ(Check(schema, json::array()), "");
  EXPECT_EQ(Check(schema, nullptr), "");
  EXPECT_EQ(Check(schema, 5), "$: must be a string, an array or null");
}

TEST(ConfigSchemaTest, IntegersFitInt64) {
  const json schema = json::parse(R"({"type": "integer"})");
  EXPECT_EQ(Check(schema, json::parse("9223372036854775807")), "");
  EXPECT_EQ(Check(schema, json::parse("-9223372036854775808")), "");
  // Would wrap to a negative number when read as int64_t.
  EXPECT_EQ(Check(schema, json::parse("9223372036854775808")), "$: must be an integer");
  EXPECT_EQ(Check(schema, json::parse("1.5")), "$: must be an integer");
  EXPECT_EQ(Check(schema, json::parse("1e3")), "$: must be an integer");
}

TEST(ConfigSchemaTest, MinimumLengthItemsEnumPattern) {
  const json schema = json::parse(R"({"type": "object", "properties": {
      "n": {"type": "integer", "minimum": -1},
      "s": {"type": "string", "minLength": 3, "pattern": "^[a-f]+$"},
      "e": {"enum": ["a", 2]},
      "l": {"type": "array", "minItems": 2, "items": {"type": "boolean"}},
      "one": {"type": "array", "minItems": 1}}})");
  EXPECT_EQ(Check(schema, json::parse(R"({"n": -1, "s": "abc", "e": 2, "l": [true, false], "one": [1]})")), "");
  EXPECT_EQ(Check(schema, json::parse(R"({"n": -2})")), "$.n: must be at least -1");
  EXPECT_EQ(Check(schema, json::parse(R"({"s": "ab"})")), "$.s: must be at least 3 characters");
  EXPECT_EQ(Check(schema, json::parse(R"({"s": "abcz"})")), "$.s: must match ^[a-f]+$");
  EXPECT_EQ(Check(schema, json::parse(R"({"e": "b"})")), "$.e: must be one of \"a\", 2");
  EXPECT_EQ(Check(schema, json::parse(R"({"l": [true]})")), "$.l: must have at least 2 items");
  EXPECT_EQ(Check(schema, json::parse(R"({"l": [true, 0]})")), "$.l[1]: must be true or false");
  EXPECT_EQ(Check(schema, json::parse(R"({"one": []})")), "$.one: must not be empty");
}

TEST(ConfigSchemaTest, ErrorMessageRewordsValueFailuresOnly) {
  const json schema = json::parse(R"({"type": "object", "properties": {
      "t": {"type": "object", "errorMessage": "must be a table", "required": ["x"],
            "additionalProperties": false, "properties": {"x": {}}}}})");
  EXPECT_EQ(Check(schema, json::parse(R"({"t": 1})")), "$.t: must be a table");
  EXPECT_EQ(Check(schema, json::parse(R"({"t": {}})")), "$.t: missing required key 'x'");
  EXPECT_EQ(Check(schema, json::parse(R"({"t": {"x": 1, "y": 2}})")), "$.t.y: unknown key (did you mean 'x'?)");
}

TEST(ConfigSchemaTest, AdditionalPropertiesSchemaAppliesToOtherKeys) {
  const json schema = json::parse(R"({"properties": {"a": {"type": "string"}},
                                      "additionalProperties": {"type": "integer"}})");
  EXPECT_EQ(Check(schema, json::parse(R"({"a": "x", "b": 1})")), "");
  EXPECT_EQ(Check(schema, json::parse(R"({"a": "x", "b": "1"})")), "$.b: must be an integer");
}

TEST(ConfigSchemaTest, PathsQuoteKeysThatAreNotNames) {
  const json schema = json::parse(R"({"additionalProperties": {"type": "integer"}})");
  EXPECT_EQ(Check(schema, json::parse(R"({"a.b": "x"})")), "$['a.b']: must be an integer");
  EXPECT_EQ(Check(schema, json::parse(R"({"it's": "x"})")), "$['it\\'s']: must be an integer");
}

TEST(ConfigSchemaTest, UnknownKeysBeforeMissingOnes) {
  const json schema = json::parse(R"({"required": ["migrations"], "additionalProperties": false,
                                      "properties": {"migrations": {}, "store": {}}})");
  EXPECT_EQ(Check(schema, json::parse(R"({"migration": 1})")), "$.migration: unknown key (did you mean 'migrations'?)");
  EXPECT_EQ(Check(schema, json::parse(R"({"colour": 1})")), "$.colour: unknown key (known keys: migrations, store)");
  EXPECT_EQ(Check(schema, json::parse(R"({"store": 1})")), "$: missing required key 'migrations'");
}

TEST(ConfigSchemaTest, NearestKeyPrefersTheClosest) {
  const json candidates = json::parse(R"({"bundles_only": 1, "bundle_keys": 1, "lock_timeout_ms": 1, "store": 1})");
  EXPECT_EQ(lm::NearestKey("bundle_key", candidates), "bundle_keys");
  EXPECT_EQ(lm::NearestKey("bundles_onyl", candidates), "bundles_only");
  // Three edits: allowed for a candidate of 12 or more characters.
  EXPECT_EQ(lm::NearestKey("lock_timeout", candidates), "lock_timeout_ms");
  EXPECT_EQ(lm::NearestKey("stored", candidates), "store");
  EXPECT_EQ(lm::NearestKey("colour", candidates), "");
}

}  // namespace
}  // namespace lm_test
