#include "base/json_parse.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "base/json_path.h"

namespace lm {
namespace {

using nlohmann::json;

// nlohmann's out_of_range.406: a number literal beyond a double (1e400).
constexpr int kNumberOverflow = 406;

// "line 3, column 14" of the byte `position` counts up to (nlohmann's
// chars_read_total: the offending byte is the last one read).
std::string LineAndColumn(std::string_view text, size_t position) {
  const size_t end = std::min(position, text.size());
  const size_t last = end == 0 ? 0 : end - 1;
  const std::string_view before = text.substr(0, last);
  const size_t line = 1 + static_cast<size_t>(std::count(before.begin(), before.end(), '\n'));
  const size_t line_start = before.rfind('\n') == std::string_view::npos ? 0 : before.rfind('\n') + 1;
  return "line " + std::to_string(line) + ", column " + std::to_string(last - line_start + 1);
}

// The library's reason without the text it quotes: its messages end a lexer
// error with "; last read: '<the token so far>'", which is the document's own
// bytes (a conninfo's password, say). Anything that cannot be cut out
// exactly is replaced by a reason that quotes nothing.
std::string QuietReason(const std::string& last_token, const json::exception& failure) {
  if (failure.id == kNumberOverflow) return "a number too large to represent";
  std::string what = failure.what();
  const std::string quoted = "; last read: '" + last_token + "'";
  if (const size_t at = what.find(quoted); at != std::string::npos) what.erase(at, quoted.size());
  const size_t start = what.find("syntax error while ");
  if (start == std::string::npos || what.find("last read") != std::string::npos) return "syntax error";
  return what.substr(start);
}

// Builds the document from nlohmann's SAX events (the interface
// json::sax_parse calls by name), checking as it goes what the library's
// own builder does not: duplicate keys and depth.
class CheckingBuilder {
 public:
  CheckingBuilder(std::string_view text, json* root, JsonParseError* error)
      : text_(text), root_(root), error_(error) {}

  bool null() { return Add(json(nullptr)) != nullptr; }
  bool boolean(bool value) { return Add(json(value)) != nullptr; }
  bool number_integer(json::number_integer_t value) { return Add(json(value)) != nullptr; }
  bool number_unsigned(json::number_unsigned_t value) { return Add(json(value)) != nullptr; }
  bool number_float(json::number_float_t value, const json::string_t& /*literal*/) {
    return Add(json(value)) != nullptr;
  }
  bool string(json::string_t& value) { return Add(json(std::move(value))) != nullptr; }
  bool binary(json::binary_t& value) { return Add(json(std::move(value))) != nullptr; }

  bool start_object(size_t /*count*/) { return Open(json::object()); }
  bool key(json::string_t& key) {
    Frame& object = frames_.back();
    if (object.value->contains(key)) return Fail(JsonPathKey(object.path, key), "duplicate key");
    object.key = std::move(key);
    return true;
  }
  bool end_object() { return Close(); }
  bool start_array(size_t /*count*/) { return Open(json::array()); }
  bool end_array() { return Close(); }

  bool parse_error(size_t position, const std::string& last_token, const json::exception& failure) {
    return Fail("", "not valid JSON at " + LineAndColumn(text_, position) + ": " + QuietReason(last_token, failure));
  }

 private:
  struct Frame {
    json* value;       // an array or object still being filled
    std::string path;  // its JSONPath
    std::string key;   // in an object: the key whose value comes next
    size_t next_index = 0;
  };

  // The JSONPath of the value that comes next.
  std::string NextPath() const {
    if (frames_.empty()) return kJsonRoot;
    const Frame& parent = frames_.back();
    return parent.value->is_array() ? JsonPathIndex(parent.path, parent.next_index)
                                    : JsonPathKey(parent.path, parent.key);
  }

  // Places `value` where the next value goes. Pointers to the open
  // containers stay valid: only the innermost one ever grows.
  json* Add(json value) {
    if (frames_.empty()) {
      *root_ = std::move(value);
      return root_;
    }
    Frame& parent = frames_.back();
    if (parent.value->is_array()) {
      parent.value->push_back(std::move(value));
      ++parent.next_index;
      return &parent.value->back();
    }
    return &((*parent.value)[parent.key] = std::move(value));
  }

  bool Open(json empty) {
    std::string path = NextPath();
    if (frames_.size() >= kMaxJsonDepth)
      return Fail(path, "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels of arrays and objects");
    json* container = Add(std::move(empty));
    frames_.push_back(Frame{container, std::move(path), std::string(), 0});
    return true;
  }

  bool Close() {
    frames_.pop_back();
    return true;
  }

  bool Fail(std::string path, std::string message) {
    *error_ = JsonParseError{std::move(path), std::move(message)};
    return false;
  }

  std::string_view text_;
  json* root_;
  JsonParseError* error_;
  std::vector<Frame> frames_;
};

}  // namespace

bool ParseJson(std::string_view text, json* out, JsonParseError* error) {
  CheckingBuilder builder(text, out, error);
  // strict: nothing but whitespace may follow the value.
  return json::sax_parse(text.begin(), text.end(), &builder, json::input_format_t::json, /*strict=*/true);
}

std::string Describe(const JsonParseError& error) {
  return error.path.empty() ? error.message : error.path + ": " + error.message;
}

}  // namespace lm
