// Fuzzes the json-file store's reader (runner/stores/json_file/document.h).
// People edit that file by hand, so it must take any bytes. Beyond not
// crashing, a document that parses must survive a write and a second read
// unchanged: otherwise the store would rewrite a file it accepted into one
// it rejects or reads differently.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "json_file/document.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  lm::stores::Document document;
  const lm::stores::Status status = lm::stores::ParseDocument("versions.json", text, &document);
  if (!status.ok()) {
    // Every way a file can be wrong is "corrupt", with the file named first.
    if (status.code() != LM_ERR_CORRUPT || status.message().rfind("versions.json: ", 0) != 0) std::abort();
    // The library's "last read: '...'" would quote the file; a key the file
    // itself spells so may be named in a JSONPath.
    if (status.message().find("last read") != std::string::npos && text.find("last read") == std::string_view::npos)
      std::abort();
    return 0;
  }

  std::string written;
  if (!lm::stores::SerializeDocument("versions.json", document, &written).ok()) std::abort();
  lm::stores::Document reread;
  if (!lm::stores::ParseDocument("versions.json", written, &reread).ok()) std::abort();
  std::string rewritten;
  if (!lm::stores::SerializeDocument("versions.json", reread, &rewritten).ok()) std::abort();
  if (rewritten != written) std::abort();
  return 0;
}
