#include "base/relay_format.h"

#include <charconv>

namespace lm::relay {

namespace {

constexpr char kEscape = '\\';
constexpr char kNeedEscape[] = {kEscape, '\n', kFieldSeparator};

}  // namespace

void MessageWriter::Start(char type) {
  line_.clear();
  line_ += type;
}

void MessageWriter::Int(int64_t value) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof(digits), value).ptr;
  line_ += kFieldSeparator;
  line_.append(digits, end);
}

void MessageWriter::Text(std::string_view text) {
  line_ += kFieldSeparator;
  const std::string_view special(kNeedEscape, sizeof(kNeedEscape));
  // Most texts need no escape: copy the runs between special bytes whole.
  for (size_t at = 0;;) {
    const size_t found = text.find_first_of(special, at);
    line_.append(text, at, found == std::string_view::npos ? std::string_view::npos : found - at);
    if (found == std::string_view::npos) return;
    line_ += kEscape;
    line_ += text[found] == '\n' ? 'n' : text[found] == kFieldSeparator ? 's' : kEscape;
    at = found + 1;
  }
}

const std::string& MessageWriter::Finish() {
  line_ += kFieldSeparator;
  line_ += '\n';
  return line_;
}

MessageReader::MessageReader(std::string_view payload) {
  if (payload.empty()) {
    ok_ = false;
    return;
  }
  type_ = payload.front();
  rest_ = payload.substr(1);
}

bool MessageReader::Next(std::string_view* field) {
  // A separator with nothing after it closes the message: no field there.
  if (!ok_ || rest_.size() < 2 || rest_.front() != kFieldSeparator) return ok_ = false;
  rest_.remove_prefix(1);
  const size_t end = rest_.find(kFieldSeparator);
  *field = rest_.substr(0, end);
  rest_.remove_prefix(end == std::string_view::npos ? rest_.size() : end);
  return true;
}

bool MessageReader::Int(int64_t* value) {
  std::string_view field;
  if (!Next(&field)) return false;
  const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), *value);
  if (field.empty() || error != std::errc() || end != field.data() + field.size()) return ok_ = false;
  return true;
}

bool MessageReader::Text(std::string* text) {
  std::string_view field;
  if (!Next(&field)) return false;
  text->clear();
  for (size_t at = 0;;) {
    const size_t found = field.find(kEscape, at);
    text->append(field, at, found == std::string_view::npos ? std::string_view::npos : found - at);
    if (found == std::string_view::npos) return true;
    if (found + 1 == field.size()) return ok_ = false;  // an escape cut off
    switch (field[found + 1]) {
      case 'n':
        *text += '\n';
        break;
      case 's':
        *text += kFieldSeparator;
        break;
      case kEscape:
        *text += kEscape;
        break;
      default:
        return ok_ = false;
    }
    at = found + 2;
  }
}

}  // namespace lm::relay
