#include "json_file/document.h"

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <nlohmann/json.hpp>

#include "base/json_parse.h"

namespace lm::stores {

namespace {

using nlohmann::json;

constexpr char kFormatName[] = "link-migration-versions";

constexpr std::initializer_list<const char*> kRecordKeys = {
    "version",    "state",          "name",  "checksum",       "applied_at", "duration_ms",
    "applied_by", "runner_version", "error", "changelog_path", "attempts",   "run_id"};
constexpr std::initializer_list<const char*> kEventKeys = {"version", "kind",        "name",   "at",
                                                           "by",      "duration_ms", "detail", "run_id"};

// "string \"abc\"", "array", ...: what was found instead, short enough for a
// one-line message.
std::string Found(const json& value) {
  if (value.is_object() || value.is_array()) return std::string("an ") + value.type_name();
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return std::string(value.type_name()) + " " + text;
}

// Reads the fields of one JSON object, naming `where` ("records[2]") in the
// messages of what is wrong with it.
class FieldReader {
 public:
  FieldReader(const std::string& path, std::string where, const json& object)
      : path_(path), where_(std::move(where)), object_(object) {}

  Status Check(std::initializer_list<const char*> known) const {
    if (!object_.is_object()) return Corrupt("", "must be an object, got " + Found(object_));
    for (const auto& item : object_.items()) {
      if (std::find_if(known.begin(), known.end(), [&](const char* key) { return item.key() == key; }) == known.end()) {
        return Corrupt("", "has unknown key \"" + item.key() + "\"");
      }
    }
    return Status::Ok();
  }

  // Absent integers read as 0 unless required.
  Status Integer(const char* key, bool required, int64_t min, int64_t max, int64_t* value) const {
    *value = 0;
    auto it = object_.find(key);
    if (it == object_.end()) return required ? Corrupt(key, "is missing") : Status::Ok();
    if (!it->is_number_integer()) return Corrupt(key, "must be an integer, got " + Found(*it));
    bool in_range = it->is_number_unsigned() ? it->get<uint64_t>() <= static_cast<uint64_t>(max)
                                             : it->get<int64_t>() >= min && it->get<int64_t>() <= max;
    if (!in_range) return Corrupt(key, "is out of range: " + it->dump());
    *value = it->get<int64_t>();
    return Status::Ok();
  }

  Status Int64(const char* key, bool required, int64_t* value) const {
    return Integer(key, required, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), value);
  }

  Status Int32(const char* key, int32_t* value) const {
    int64_t wide = 0;
    LM_STORES_RETURN_IF_ERROR(
        Integer(key, false, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max(), &wide));
    *value = static_cast<int32_t>(wide);
    return Status::Ok();
  }

  // Absent and null both read as NULL.
  Status String(const char* key, OptionalString* value) const {
    value->reset();
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) return Status::Ok();
    if (!it->is_string()) return Corrupt(key, "must be a string or null, got " + Found(*it));
    *value = it->get<std::string>();
    return Status::Ok();
  }

  Status Corrupt(const char* key, const std::string& what) const {
    std::string field = where_.empty() ? "the top level" : where_;
    if (*key != '\0') field = where_.empty() ? key : where_ + "." + key;
    return Status::Corrupt(path_ + ": " + field + " " + what);
  }

 private:
  const std::string& path_;
  const std::string where_;
  const json& object_;
};

Status ParseRecord(const FieldReader& reader, const json& object, Record* record) {
  LM_STORES_RETURN_IF_ERROR(reader.Check(kRecordKeys));
  LM_STORES_RETURN_IF_ERROR(reader.Int64("version", true, &record->version));
  OptionalString state;
  LM_STORES_RETURN_IF_ERROR(reader.String("state", &state));
  if (!state) return reader.Corrupt("state", "is missing");
  if (!StateFromName(*state, &record->state)) {
    return reader.Corrupt("state",
                          "must be one of applied, running, failed-rolled-back, "
                          "failed-partial, got " +
                              Found(object.at("state")));
  }
  LM_STORES_RETURN_IF_ERROR(reader.String("name", &record->name));
  LM_STORES_RETURN_IF_ERROR(reader.String("checksum", &record->checksum));
  LM_STORES_RETURN_IF_ERROR(reader.String("applied_at", &record->applied_at));
  LM_STORES_RETURN_IF_ERROR(reader.Int64("duration_ms", false, &record->duration_ms));
  LM_STORES_RETURN_IF_ERROR(reader.String("applied_by", &record->applied_by));
  LM_STORES_RETURN_IF_ERROR(reader.String("runner_version", &record->runner_version));
  LM_STORES_RETURN_IF_ERROR(reader.String("error", &record->error));
  LM_STORES_RETURN_IF_ERROR(reader.String("changelog_path", &record->changelog_path));
  LM_STORES_RETURN_IF_ERROR(reader.Int32("attempts", &record->attempts));
  return reader.String("run_id", &record->run_id);
}

Status ParseEvent(const FieldReader& reader, Event* event) {
  LM_STORES_RETURN_IF_ERROR(reader.Check(kEventKeys));
  LM_STORES_RETURN_IF_ERROR(reader.Int64("version", true, &event->version));
  LM_STORES_RETURN_IF_ERROR(reader.String("kind", &event->kind));
  LM_STORES_RETURN_IF_ERROR(reader.String("name", &event->name));
  LM_STORES_RETURN_IF_ERROR(reader.String("at", &event->at));
  LM_STORES_RETURN_IF_ERROR(reader.String("by", &event->by));
  LM_STORES_RETURN_IF_ERROR(reader.Int64("duration_ms", false, &event->duration_ms));
  LM_STORES_RETURN_IF_ERROR(reader.String("detail", &event->detail));
  return reader.String("run_id", &event->run_id);
}

Status CheckFormat(const FieldReader& top) {
  OptionalString format;
  LM_STORES_RETURN_IF_ERROR(top.String("format", &format));
  if (format != kFormatName) {
    return top.Corrupt("format", std::string("must be \"") + kFormatName + "\"");
  }
  int64_t version = 0;
  LM_STORES_RETURN_IF_ERROR(top.Int64("format_version", true, &version));
  if (version > kJsonFileFormatVersion) {
    return top.Corrupt("format_version", std::to_string(version) + " is newer than this store reads (" +
                                             std::to_string(kJsonFileFormatVersion) + "); use a newer link-migration");
  }
  if (version < 1) return top.Corrupt("format_version", std::to_string(version) + " is not valid");
  return Status::Ok();
}

// A JSON value to ordered_json (keys in the order written) for a string
// that may be NULL.
nlohmann::ordered_json Value(const OptionalString& text) {
  return text ? nlohmann::ordered_json(*text) : nlohmann::ordered_json(nullptr);
}

}  // namespace

Status ParseDocument(const std::string& path, std::string_view text, Document* out) {
  *out = Document();
  json top;
  // Duplicate keys and nesting beyond kMaxJsonDepth are refused here, as in
  // the config: a hand edit that says a version twice is ambiguous.
  JsonParseError invalid;
  if (!ParseJson(text, &top, &invalid)) return Status::Corrupt(path + ": " + Describe(invalid));

  FieldReader reader(path, "", top);
  LM_STORES_RETURN_IF_ERROR(reader.Check({"format", "format_version", "records", "events"}));
  LM_STORES_RETURN_IF_ERROR(CheckFormat(reader));
  for (const char* list : {"records", "events"}) {
    auto it = top.find(list);
    if (it == top.end()) return reader.Corrupt(list, "is missing");
    if (!it->is_array()) return reader.Corrupt(list, "must be an array, got " + Found(*it));
  }

  const json& records = top.at("records");
  for (size_t i = 0; i < records.size(); ++i) {
    FieldReader field(path, "records[" + std::to_string(i) + "]", records[i]);
    Record record;
    LM_STORES_RETURN_IF_ERROR(ParseRecord(field, records[i], &record));
    out->records.push_back(std::move(record));
  }
  // Hand edits may reorder records; duplicates are ambiguous, so corrupt.
  std::stable_sort(out->records.begin(), out->records.end(),
                   [](const Record& a, const Record& b) { return a.version < b.version; });
  for (size_t i = 1; i < out->records.size(); ++i) {
    if (out->records[i].version == out->records[i - 1].version) {
      return Status::Corrupt(path + ": records has version " + std::to_string(out->records[i].version) +
                             " more than once");
    }
  }

  const json& events = top.at("events");
  for (size_t i = 0; i < events.size(); ++i) {
    FieldReader field(path, "events[" + std::to_string(i) + "]", events[i]);
    Event event;
    LM_STORES_RETURN_IF_ERROR(ParseEvent(field, &event));
    out->events.push_back(std::move(event));
  }
  return Status::Ok();
}

Status SerializeDocument(const std::string& path, const Document& document, std::string* text) {
  using ordered = nlohmann::ordered_json;
  ordered records = ordered::array();
  for (const Record& r : document.records) {
    records.push_back(ordered{{"version", r.version},
                              {"state", StateName(r.state)},
                              {"name", Value(r.name)},
                              {"checksum", Value(r.checksum)},
                              {"applied_at", Value(r.applied_at)},
                              {"duration_ms", r.duration_ms},
                              {"applied_by", Value(r.applied_by)},
                              {"runner_version", Value(r.runner_version)},
                              {"error", Value(r.error)},
                              {"changelog_path", Value(r.changelog_path)},
                              {"attempts", r.attempts},
                              {"run_id", Value(r.run_id)}});
  }
  ordered events = ordered::array();
  for (const Event& e : document.events) {
    events.push_back(ordered{{"version", e.version},
                             {"kind", Value(e.kind)},
                             {"name", Value(e.name)},
                             {"at", Value(e.at)},
                             {"by", Value(e.by)},
                             {"duration_ms", e.duration_ms},
                             {"detail", Value(e.detail)},
                             {"run_id", Value(e.run_id)}});
  }
  ordered top = {{"format", kFormatName},
                 {"format_version", kJsonFileFormatVersion},
                 {"records", std::move(records)},
                 {"events", std::move(events)}};
  try {
    *text = top.dump(2) + "\n";
  } catch (const nlohmann::json::type_error&) {
    // dump refuses invalid UTF-8; writing it would make a file we cannot read.
    return Status::Error("cannot write " + path +
                         ": a record or event holds text that is not "
                         "valid UTF-8");
  }
  return Status::Ok();
}

}  // namespace lm::stores
