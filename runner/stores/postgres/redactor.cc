#include "postgres/redactor.h"

#include <algorithm>
#include <regex>

namespace lm::stores {

namespace {

constexpr char kMask[] = "***";

void ReplaceAll(std::string* text, const std::string& secret) {
  for (size_t at = text->find(secret); at != std::string::npos; at = text->find(secret, at + sizeof(kMask) - 1)) {
    text->replace(at, secret.size(), kMask);
  }
}

}  // namespace

void Redactor::AddSecret(std::string secret) {
  if (secret.empty() || std::find(secrets_.begin(), secrets_.end(), secret) != secrets_.end()) return;
  secrets_.push_back(std::move(secret));
  std::stable_sort(secrets_.begin(), secrets_.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string Redactor::Apply(std::string_view text) const {
  std::string result(text);
  for (const std::string& secret : secrets_) ReplaceAll(&result, secret);
  // Values this object was never told about: a conninfo that did not parse,
  // or a password set some other way and echoed back.
  static const std::regex kKeyValue(R"((password\s*=\s*)('(?:[^'\\]|\\.)*'?|[^\s'"]+))", std::regex::icase);
  static const std::regex kJsonMember(R"re(("password"\s*:\s*)"(?:[^"\\]|\\.)*")re", std::regex::icase);
  static const std::regex kUriUserInfo(R"(((?:postgres|postgresql)://[^:@/\s]*):[^@/\s]*@)", std::regex::icase);
  result = std::regex_replace(result, kKeyValue, std::string("$1") + kMask);
  result = std::regex_replace(result, kJsonMember, std::string("$1\"") + kMask + "\"");
  result = std::regex_replace(result, kUriUserInfo, std::string("$1:") + kMask + "@");
  return result;
}

Status Redactor::Apply(const Status& status) const {
  if (status.ok()) return status;
  if (status.code() == LM_ERR_OPTION) return Status::OptionError(status.option_key(), Apply(status.message()));
  return Status::FromCode(status.code(), Apply(status.message()));
}

}  // namespace lm::stores
