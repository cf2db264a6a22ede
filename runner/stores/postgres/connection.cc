#include "postgres/connection.h"

#include <cstdlib>
#include <cstring>
#include <utility>

namespace lm::stores {

namespace {

// libpq waits forever for a host that does not answer unless told otherwise.
constexpr char kDefaultConnectTimeoutSeconds[] = "10";

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// SQLSTATEs that mean the server went away rather than refused the request.
bool IsUnavailable(const char* sqlstate) {
  if (sqlstate == nullptr) return false;
  return std::strncmp(sqlstate, "08", 2) == 0     // connection exception
         || std::strcmp(sqlstate, "57P01") == 0   // admin_shutdown
         || std::strcmp(sqlstate, "57P02") == 0   // crash_shutdown
         || std::strcmp(sqlstate, "57P03") == 0;  // cannot_connect_now
}

bool IsCorrupt(const char* sqlstate) {
  return sqlstate != nullptr && (std::strcmp(sqlstate, "XX001") == 0       // data_corrupted
                                 || std::strcmp(sqlstate, "XX002") == 0);  // index_corrupted
}

}  // namespace

std::string OneLine(const char* text) {
  std::string result;
  if (text == nullptr) return result;
  bool space = false;
  for (const char* p = text; *p != '\0'; ++p) {
    if (IsSpace(*p)) {
      space = !result.empty();
      continue;
    }
    if (space) result += ' ';
    space = false;
    result += *p;
  }
  return result;
}

std::string ValidUtf8(std::string_view text) {
  std::string result;
  result.reserve(text.size());
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const auto continuation = [&](size_t i) { return i < text.size() && (byte(i) & 0xC0) == 0x80; };
  for (size_t i = 0; i < text.size();) {
    unsigned char lead = byte(i);
    size_t length = lead < 0x80                    ? 1
                    : lead >= 0xC2 && lead <= 0xDF ? 2
                    : lead >= 0xE0 && lead <= 0xEF ? 3
                    : lead >= 0xF0 && lead <= 0xF4 ? 4
                                                   : 0;
    bool valid = length > 0;
    for (size_t k = 1; valid && k < length; ++k) valid = continuation(i + k);
    if (valid && length >= 3) {
      // No overlong forms, no UTF-16 surrogates, nothing above U+10FFFF.
      unsigned char second = byte(i + 1);
      if (lead == 0xE0) valid = second >= 0xA0;
      if (lead == 0xED) valid = second <= 0x9F;
      if (lead == 0xF0) valid = second >= 0x90;
      if (lead == 0xF4) valid = second <= 0x8F;
    }
    if (!valid) {
      result += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
      continue;
    }
    result.append(text.substr(i, length));
    i += length;
  }
  return result;
}

std::string QuoteIdentifier(const std::string& name) {
  std::string quoted = "\"";
  for (char c : name) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

PgResult& PgResult::operator=(PgResult&& other) noexcept {
  if (this != &other) {
    PQclear(result_);
    result_ = other.release();
  }
  return *this;
}

PGresult* PgResult::release() { return std::exchange(result_, nullptr); }

OptionalString PgResult::Text(int row, int column) const {
  if (IsNull(row, column)) return OptionalString();
  return std::string(PQgetvalue(result_, row, column), static_cast<size_t>(PQgetlength(result_, row, column)));
}

int64_t PgResult::Int(int row, int column) const {
  if (IsNull(row, column)) return 0;
  return std::strtoll(PQgetvalue(result_, row, column), nullptr, 10);
}

bool PgResult::Bool(int row, int column) const {
  return !IsNull(row, column) && PQgetvalue(result_, row, column)[0] == 't';
}

int64_t PgResult::AffectedRows() const {
  const char* count = result_ == nullptr ? "" : PQcmdTuples(result_);
  return *count == '\0' ? 0 : std::strtoll(count, nullptr, 10);
}

Status PgConnection::Open(const ConnectParams& params, std::unique_ptr<PgConnection>* out) {
  // Entries before the expanded "dbname" (the conninfo) are defaults the
  // conninfo may override; entries after it override the conninfo.
  std::vector<const char*> keys, values;
  const char* env_timeout = std::getenv("PGCONNECT_TIMEOUT");
  if (env_timeout == nullptr || *env_timeout == '\0') {
    keys.push_back("connect_timeout");
    values.push_back(kDefaultConnectTimeoutSeconds);
  }
  keys.push_back("dbname");
  values.push_back(params.conninfo.c_str());
  keys.push_back("application_name");
  values.push_back(params.application_name.c_str());
  keys.push_back("client_encoding");
  values.push_back("UTF8");
  if (params.password) {
    keys.push_back("password");
    values.push_back(params.password->c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);

  PGconn* conn = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
  if (conn == nullptr) return Status::Error("cannot connect to PostgreSQL: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = OneLine(PQerrorMessage(conn));
    PQfinish(conn);
    return Status::Unavailable("cannot connect to PostgreSQL: " + message);
  }
  out->reset(new PgConnection(conn));
  return Status::Ok();
}

Status PgConnection::Exec(const std::string& what, const std::string& sql, const std::vector<OptionalString>& params,
                          PgResult* result) {
  std::vector<OptionalString> texts;
  texts.reserve(params.size());
  for (const OptionalString& param : params) texts.push_back(param ? OptionalString(ValidUtf8(*param)) : param);
  std::vector<const char*> values;
  values.reserve(texts.size());
  for (const OptionalString& text : texts) values.push_back(text ? text->c_str() : nullptr);
  PgResult outcome(PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), /*paramTypes=*/nullptr,
                                values.data(), /*paramLengths=*/nullptr, /*paramFormats=*/nullptr,
                                /*resultFormat=*/0));
  ExecStatusType status = outcome.get() == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(outcome.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return Failure(what, outcome.get());
  if (result != nullptr) *result = std::move(outcome);
  return Status::Ok();
}

bool PgConnection::InTransaction() const {
  PGTransactionStatusType status = PQtransactionStatus(conn_);
  return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE;
}

Status PgConnection::Reset() {
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) {
    return Status::Unavailable("cannot reconnect to PostgreSQL: " + OneLine(PQerrorMessage(conn_)));
  }
  return Status::Ok();
}

std::string PgConnection::Describe() const {
  std::string where = std::string("database \"") + PQdb(conn_) + "\"";
  const char* host = PQhost(conn_);
  if (host != nullptr && *host != '\0') {
    where += " on ";
    where += host[0] == '/' ? std::string("socket ") + host : std::string(host);
    where += std::string(":") + PQport(conn_);
  }
  return where;
}

Status PgConnection::Failure(const std::string& what, const PGresult* result) const {
  const char* sqlstate = result == nullptr ? nullptr : PQresultErrorField(result, PG_DIAG_SQLSTATE);
  const char* primary = result == nullptr ? nullptr : PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  std::string message = what + ": ";
  if (primary != nullptr) {
    message += OneLine(primary);
    if (const char* detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL)) {
      message += " (" + OneLine(detail) + ")";
    }
    if (const char* hint = PQresultErrorField(result, PG_DIAG_MESSAGE_HINT)) message += "; hint: " + OneLine(hint);
    if (sqlstate != nullptr) message += std::string(" [SQLSTATE ") + sqlstate + "]";
  } else {
    // libpq's own failure (no server message): usually a lost connection.
    message += OneLine(PQerrorMessage(conn_));
  }
  if (PQstatus(conn_) == CONNECTION_BAD || IsUnavailable(sqlstate)) {
    return Status::Unavailable(message + " (the connection to " + Describe() + " is lost)");
  }
  if (IsCorrupt(sqlstate)) return Status::Corrupt(message);
  return Status::Error(message);
}

}  // namespace lm::stores
