// Where the CLI's own results and errors go, and how they are written: one
// error line on stderr, or one JSON document on stdout.
#ifndef LINK_MIGRATION_RUNNER_CLI_IO_H
#define LINK_MIGRATION_RUNNER_CLI_IO_H

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/palette.h"
#include "base/status.h"

namespace lm {

// Every JSON document the CLI prints carries it (docs/cli.md, "JSON
// output"). It changes only if a key is renamed or removed, which the
// promise there rules out; added keys keep it.
inline constexpr int kJsonSchemaVersion = 1;

// Streams the CLI prints to, duplicated before any step's output is captured.
struct CliOutput {
  std::FILE* out = nullptr;
  std::FILE* err = nullptr;
  Palette out_palette;
  Palette err_palette;
  bool json = false;  // -o json
};

// "link-migration: error: <message on one line>" on stderr; returns the
// status's exit code.
int Fail(const CliOutput& io, const Status& status);

// "link-migration: note: <message>" on stderr: something the user may want
// to change, that changes nothing in this run.
void PrintNote(const CliOutput& io, const std::string& message);

// `document` with "schema_version" added, on stdout.
void PrintJson(nlohmann::json document, const CliOutput& io);

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_CLI_IO_H
