#include "cli/cli_io.h"

#include <algorithm>
#include <string>

namespace lm {

int Fail(const CliOutput& io, const Status& status) {
  std::string line = status.message();
  std::replace_if(line.begin(), line.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  std::fprintf(io.err, "link-migration: %s %s\n", io.err_palette.Paint("error:", Colour::kRed).c_str(), line.c_str());
  std::fflush(io.err);
  return status.exit_code();
}

void PrintNote(const CliOutput& io, const std::string& message) {
  std::fprintf(io.err, "link-migration: %s %s\n", io.err_palette.Paint("note:", Colour::kYellow).c_str(),
               message.c_str());
  std::fflush(io.err);
}

void PrintJson(nlohmann::json document, const CliOutput& io) {
  document["schema_version"] = kJsonSchemaVersion;
  std::fprintf(io.out, "%s\n", document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

}  // namespace lm
