// The wire format of the worker's reports (see worker_relay.h): one line per
// report, after kReportMarker, built and read here.
//
//   <type letter> (<kFieldSeparator> <field>)* <kFieldSeparator> '\n'
//
// The separator before the newline closes the report: a report cut off
// anywhere (a worker dying mid-write) lacks it, even where the cut falls
// inside the last field, and is refused as a whole.
// A field is a decimal integer or a text. Texts are escaped so that no field
// holds a newline (the stream is read line by line) or a separator: '\\'
// becomes "\\\\", '\n' "\\n", kFieldSeparator "\\s"; every other byte passes
// as it is. Both ends are the same binary, so the format carries no version;
// it replaced JSON, whose building and parsing cost more per step than the
// runner's whole share of it.
#ifndef LINK_MIGRATION_RUNNER_RELAY_FORMAT_H
#define LINK_MIGRATION_RUNNER_RELAY_FORMAT_H

#include <cstdint>
#include <string>
#include <string_view>

namespace lm::relay {

inline constexpr char kFieldSeparator = '\x1f';

// Builds one report line into a buffer it reuses.
class MessageWriter {
 public:
  // Starts a new line of `type`, after `marker`; the previous one is gone.
  void Start(char marker, char type);
  void Int(int64_t value);
  void Text(std::string_view text);
  // The whole line, its closing separator and newline included.
  const std::string& Finish();

 private:
  std::string line_;
};

// Reads one report, the text after the marker without its newline. Every
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
  // report was closed.
  bool Done() const { return ok_ && rest_.size() == 1 && rest_.front() == kFieldSeparator; }
  bool ok() const { return ok_; }

 private:
  // The raw bytes of the next field, or a failure.
  bool Next(std::string_view* field);

  char type_ = '\0';
  std::string_view rest_;
  bool ok_ = true;
};

}  // namespace lm::relay

#endif  // LINK_MIGRATION_RUNNER_RELAY_FORMAT_H
