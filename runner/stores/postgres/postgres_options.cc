#include "postgres/postgres_options.h"

#include <libpq-fe.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "common/options.h"
#include "postgres/connection.h"

namespace lm::stores {

namespace {

constexpr char kStore[] = "postgres";
// PostgreSQL cuts identifiers at NAMEDATALEN - 1 bytes; a longer name would
// silently address another table.
constexpr size_t kMaxIdentifierBytes = 63;
constexpr size_t kLongestTableSuffix = sizeof("records") - 1;
constexpr int kMaxLeaseSeconds = 24 * 60 * 60;

Status OptionError(const std::string& key, const std::string& problem) {
  return Status::OptionError(key, std::string(kStore) + " store option \"" + key + "\" " + problem);
}

bool IsPlainIdentifier(const std::string& text) {
  for (char c : text) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

// Adds the password written into the conninfo, if any, to the redactor, and
// checks that libpq can read the conninfo at all.
Status CheckConninfo(const std::string& conninfo, Redactor* redactor) {
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(conninfo.c_str(), &error);
  if (parsed == nullptr) {
    std::string why = error != nullptr ? OneLine(error) : "out of memory";
    PQfreemem(error);
    // libpq may quote the text it choked on; the redactor masks password-like
    // values in it, since a password that did not parse is unknown to it.
    return OptionError("conninfo", "is not a valid libpq connection string: " + redactor->Apply(why));
  }
  for (PQconninfoOption* option = parsed; option->keyword != nullptr; ++option) {
    if (option->val != nullptr && std::string(option->keyword) == "password") redactor->AddSecret(option->val);
  }
  PQconninfoFree(parsed);
  return Status::Ok();
}

// lease_seconds is the one numeric option; Options reads strings only.
Status ReadLeaseSeconds(const char* options_json, int* seconds) {
  nlohmann::json object = nlohmann::json::parse(options_json, nullptr, /*allow_exceptions=*/false);
  auto it = object.find("lease_seconds");
  if (it == object.end()) return Status::Ok();
  if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > kMaxLeaseSeconds) {
    return OptionError("lease_seconds", "must be a whole number of seconds from 1 to " +
                                            std::to_string(kMaxLeaseSeconds) + ", got " + it->dump());
  }
  *seconds = static_cast<int>(it->get<int64_t>());
  return Status::Ok();
}

}  // namespace

Status ParsePostgresOptions(const char* options_json, PostgresOptions* out, Redactor* redactor) {
  Options options;
  Status parsed = Options::Parse(
      kStore, options_json, {"conninfo", "password_env", "schema", "table_prefix", "lock", "lease_seconds"}, &options);
  // A JSON syntax error quotes the text around it, which may be a password.
  if (!parsed.ok()) return redactor->Apply(parsed);

  PostgresOptions result;
  Status conninfo = options.RequiredString("conninfo", &result.conninfo);
  if (!conninfo.ok()) return redactor->Apply(conninfo);
  LM_STORES_RETURN_IF_ERROR(CheckConninfo(result.conninfo, redactor));

  std::string password_env;
  LM_STORES_RETURN_IF_ERROR(options.OptionalString("password_env", "", &password_env));
  if (!password_env.empty()) {
    const char* password = std::getenv(password_env.c_str());
    if (password == nullptr || *password == '\0') {
      return OptionError("password_env",
                         "names the environment variable " + password_env + ", which is not set or empty");
    }
    result.password = password;
    redactor->AddSecret(password);
  }

  LM_STORES_RETURN_IF_ERROR(options.OptionalString("schema", result.schema, &result.schema));
  if (result.schema.empty()) return OptionError("schema", "is empty");
  if (result.schema.find('\0') != std::string::npos) return OptionError("schema", "contains a NUL character");
  if (result.schema.size() > kMaxIdentifierBytes) {
    return OptionError("schema", "is longer than PostgreSQL's " + std::to_string(kMaxIdentifierBytes) + " bytes: \"" +
                                     result.schema + "\"");
  }

  LM_STORES_RETURN_IF_ERROR(options.OptionalString("table_prefix", result.table_prefix, &result.table_prefix));
  if (!IsPlainIdentifier(result.table_prefix)) {
    return OptionError("table_prefix",
                       "may hold only letters, digits and underscores, got \"" + result.table_prefix + "\"");
  }
  if (result.table_prefix.size() + kLongestTableSuffix > kMaxIdentifierBytes) {
    return OptionError("table_prefix", "is too long: \"" + result.table_prefix + "records\" would exceed " +
                                           std::to_string(kMaxIdentifierBytes) + " bytes");
  }

  std::string lock;
  LM_STORES_RETURN_IF_ERROR(options.OptionalString("lock", "advisory", &lock));
  if (lock == "advisory") {
    result.lock = LockMode::kAdvisory;
  } else if (lock == "lease") {
    result.lock = LockMode::kLease;
  } else {
    return OptionError("lock", "must be \"advisory\" or \"lease\", got \"" + lock + "\"");
  }
  LM_STORES_RETURN_IF_ERROR(ReadLeaseSeconds(options_json, &result.lease_seconds));

  *out = std::move(result);
  return Status::Ok();
}

}  // namespace lm::stores
