// The json-file store's file format, and its strict reading.
//
//   {
//     "format": "link-migration-versions",
//     "format_version": 1,
//     "records": [ {"version": 1, "state": "applied", "name": ..., ...} ],
//     "events": [ {"version": 1, "kind": "apply", "at": ..., ...} ]
//   }
//
// Records are kept ascending by version, events in the order appended. Every
// lm_record / lm_event field has a key of the same name; strings may be null.
// People edit this file by hand, so reading is strict: a wrong type, an
// unknown key (a typo would otherwise be dropped silently on the next write)
// or an unknown format version makes the file corrupt, and a corrupt file is
// reported and never overwritten.
#ifndef LINK_MIGRATION_STORES_JSON_FILE_DOCUMENT_H
#define LINK_MIGRATION_STORES_JSON_FILE_DOCUMENT_H

#include <string>
#include <string_view>
#include <vector>

#include "common/record.h"
#include "common/status.h"

namespace lm::stores {

// The version this code writes, and the newest it reads. Bump it for any
// change an older reader would misread, and keep reading older versions.
constexpr int kJsonFileFormatVersion = 1;

struct Document {
  std::vector<Record> records;  // ascending by version, one per version
  std::vector<Event> events;    // oldest first
};

// Parses the contents of the file at `path` (named in messages). Anything
// wrong with them is LM_ERR_CORRUPT: "<path>: records[2].state must be ...".
Status ParseDocument(const std::string& path, std::string_view text, Document* out);

// The file's contents: pretty-printed with a trailing newline, keys in a
// fixed order so that diffs of the file are readable.
Status SerializeDocument(const std::string& path, const Document& document, std::string* text);

}  // namespace lm::stores

#endif  // LINK_MIGRATION_STORES_JSON_FILE_DOCUMENT_H
