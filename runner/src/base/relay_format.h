// A small line format for messages between a process and the child it
// forked (the migrate worker's reports, the plugin checker's answers): one
// message per line, on a pipe that carries nothing else.
//
//   <type letter> (<kFieldSeparator> <field>)* <kFieldSeparator> '\n'
//
// The separator before the newline closes the message: a message cut off
// anywhere (a child dying mid-write) lacks it, even where the cut falls
// inside the last field, and is refused as a whole.
// A field is a decimal integer or a text. Texts are escaped so that no field
// holds a newline (the stream is read line by line) or a separator: '\\'
// becomes "\\\\", '\n' "\\n", kFieldSeparator "\\s"; every other byte passes
// as it is. Both ends are the same binary, so the format carries no version.
#ifndef LINK_MIGRATION_RUNNER_RELAY_FORMAT_H
#define LINK_MIGRATION_RUNNER_RELAY_FORMAT_H

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace lm::relay {

inline constexpr char kFieldSeparator = '\x1f';

// Builds one message line into a buffer it reuses.
class MessageWriter {
 public:
  // Starts a new line of `type`; the previous one is gone.
  void Start(char type);
  void Int(int64_t value);
  void Text(std::string_view text);
  // The whole line, its closing separator and newline included.
  const std::string& Finish();

 private:
  std::string line_;
};

// Reads one message, its line without the newline. Every
// read fails (returns false) on a missing or malformed field, and the reader
// stays failed: a caller checks once, at the end.
class MessageReader {
 public:
  explicit MessageReader(std::string_view payload);

  // The type letter; '\0' for an empty payload.
  char type() const { return type_; }
  bool Int(int64_t* value);
  // Unescapes into `text`, reusing its buffer.
  bool Text(std::string* text);
  // True when every field was read without a failure, none is left, and the
  // message was closed.
  bool Done() const { return ok_ && rest_.size() == 1 && rest_.front() == kFieldSeparator; }
  bool ok() const { return ok_; }

 private:
  // The raw bytes of the next field, or a failure.
  bool Next(std::string_view* field);

  char type_ = '\0';
  std::string_view rest_;
  bool ok_ = true;
};

// Cuts bytes read from a pipe into lines: whole lines are handed on straight
// from the bytes read; only a line cut off at their end is kept, to wait for
// the rest.
class LineSplitter {
 public:
  // Calls on_line(line) for each line the bytes complete, without its '\n'.
  template <typename OnLine>
  void Feed(std::string_view bytes, OnLine&& on_line) {
    for (size_t end; (end = bytes.find('\n')) != std::string_view::npos; bytes.remove_prefix(end + 1)) {
      if (partial_.empty()) {
        on_line(bytes.substr(0, end));
      } else {
        partial_.append(bytes.data(), end);
        on_line(std::string_view(partial_));
        partial_.clear();
      }
    }
    partial_.append(bytes);
  }
  // The start of a line whose end has not come (yet), handed over and forgotten.
  std::string TakePartial() { return std::exchange(partial_, std::string()); }
  bool has_partial() const { return !partial_.empty(); }

 private:
  std::string partial_;
};

}  // namespace lm::relay

#endif  // LINK_MIGRATION_RUNNER_RELAY_FORMAT_H
