// Keeps passwords out of every message the postgres store writes: the one
// read from password_env, any written into the conninfo, and anything that
// looks like one (a "password=..." pair, a JSON "password": "..." member,
// the "user:secret@" of a URI) in text that came from libpq, the server or
// the options' JSON.
#ifndef LINK_MIGRATION_STORES_POSTGRES_REDACTOR_H
#define LINK_MIGRATION_STORES_POSTGRES_REDACTOR_H

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace lm::stores {

class Redactor {
 public:
  // Every later Apply replaces `secret` wherever it occurs. Empty secrets
  // are ignored.
  void AddSecret(std::string secret);

  // `text` with every secret and password-like value replaced by "***".
  std::string Apply(std::string_view text) const;
  // The same status with its message redacted.
  Status Apply(const Status& status) const;

 private:
  std::vector<std::string> secrets_;  // longest first, so no secret is half replaced
};

}  // namespace lm::stores

#endif  // LINK_MIGRATION_STORES_POSTGRES_REDACTOR_H
