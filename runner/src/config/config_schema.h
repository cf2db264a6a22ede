// The config file's JSON Schema (docs/conf.schema.json, embedded at build
// time so the documented schema is the one enforced) and a validator for the
// subset of JSON Schema that file uses.
#ifndef LINK_MIGRATION_RUNNER_CONFIG_SCHEMA_H
#define LINK_MIGRATION_RUNNER_CONFIG_SCHEMA_H

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace lm {

// The text of docs/conf.schema.json as it was when the runner was built.
std::string_view ConfigSchemaText();
// ConfigSchemaText parsed once.
const nlohmann::json& ConfigSchema();

struct SchemaError {
  std::string path;     // where in the instance: "$.trust.allowed_sha256[2]"
  std::string message;  // "must be 64 hex digits ...": never quotes the value
};

// The first thing in `schema` this validator cannot apply, as
// "#/properties/store: unsupported keyword 'oneOf'" or
// "#/minimum: must be a number"; empty when there is none. Validate
// assumes a schema that passes this, and would ignore an unknown keyword.
// Supported: type (a name or an array of names), properties, required,
// additionalProperties (false or a schema), items (one schema), enum,
// minimum, minLength, minItems, pattern (ECMAScript, unanchored), and
// errorMessage; annotations ($schema, $id, $comment, title, description,
// default, examples) are allowed and ignored.
std::string SchemaProblem(const nlohmann::json& schema);

// True when `instance` matches `schema`; otherwise false with the first
// failure in *error. Within an object, unknown keys are reported first (with
// the nearest known key as a suggestion), then missing required keys, then
// the values in key order. A schema's errorMessage replaces the generic text
// for a value of the wrong type, enum, pattern, length or range.
// "integer" means a whole number that fits in int64_t, written without a
// decimal point, so a reader can take it with get<int64_t>().
bool ValidateAgainstSchema(const nlohmann::json& schema, const nlohmann::json& instance, SchemaError* error);

// "migration" -> "migrations": the candidate within a few edits of `key`
// (two, or a quarter of the candidate's length when longer), nearest first;
// empty when none is that close.
std::string NearestKey(const std::string& key, const nlohmann::json& candidates_object);

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_CONFIG_SCHEMA_H
