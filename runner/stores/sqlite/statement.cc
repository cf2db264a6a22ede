#include "sqlite/statement.h"

namespace lm::stores {

int Statement::Prepare(sqlite3* db, const std::string& sql, unsigned int flags) {
  Finalize();
  return sqlite3_prepare_v3(db, sql.c_str(), static_cast<int>(sql.size()), flags, &stmt_, nullptr);
}

void Statement::Bind(int index, const OptionalString& value) {
  if (!value) {
    sqlite3_bind_null(stmt_, index);
    return;
  }
  sqlite3_bind_text64(stmt_, index, value->data(), value->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

OptionalString Statement::Text(int column) {
  if (IsNull(column)) return OptionalString();
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  int length = sqlite3_column_bytes(stmt_, column);
  if (text == nullptr) return std::string();
  return std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(length));
}

}  // namespace lm::stores
