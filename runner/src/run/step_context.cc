#include "run/step_context.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string_view>
#include <utility>

#include "base/environment.h"

namespace {

// Each line of the message is one report of its level, sent after whatever
// the step printed before it (the reporter flushes stdio first).
void Log(lm_context* ctx, int32_t level, const char* message) {
  static constexpr lm::LineKind kByLevel[] = {lm::LineKind::kDebug, lm::LineKind::kInfo, lm::LineKind::kWarning,
                                              lm::LineKind::kError};
  const lm::LineKind kind = kByLevel[std::clamp<int32_t>(level, LM_LOG_DEBUG, LM_LOG_ERROR) - LM_LOG_DEBUG];
  const std::string_view text = message ? message : "";
  size_t start = 0;
  do {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    ctx->reporter.StepLine(kind, std::string(text.substr(start, end - start)));
    start = end + 1;
  } while (start < text.size());
}

const char* Param(lm_context* ctx, const char* key) {
  if (key == nullptr) return nullptr;
  const nlohmann::json& params = ctx->settings.params;
  auto found = params.find(key);
  if (found == params.end()) return nullptr;
  return ctx->borrowed.emplace_back(found->dump()).c_str();
}

const char* ParamsJson(lm_context* ctx) { return ctx->borrowed.emplace_back(ctx->settings.params.dump()).c_str(); }

int32_t IsDryRun(lm_context*) { return 0; }

std::string CsvCell(const char* value) {
  std::string cell = value ? value : "";
  if (cell.find_first_of(",\"\r\n") == std::string::npos) return cell;
  std::string quoted = "\"";
  for (char c : cell) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

// A changelog is only ever a new file: one that exists already (a name
// taken by someone else) is an error, never appended to.
int CreateChangelog(const std::filesystem::path& path) {
  return open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
}

bool WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t wrote = write(fd, bytes.data(), bytes.size());
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote == 0) errno = ENOSPC;
    if (wrote <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(wrote));
  }
  return true;
}

lm_result WriteCsvLine(lm_context* ctx, const char* const* cells, size_t count) {
  if (ctx->changelog_fd < 0) {
    if (ctx->changelog_created) return LM_ERROR;  // it could not be written before
    std::error_code error;
    std::filesystem::create_directories(ctx->settings.changelog_dir, error);
    ctx->changelog_fd = CreateChangelog(ctx->changelog_path);
    if (ctx->changelog_fd < 0) {
      ctx->changelog_error =
          "cannot create the changelog " + ctx->changelog_path.string() + ": " + std::strerror(errno);
      return LM_ERROR;
    }
    ctx->changelog_created = true;
  }
  std::string line;
  for (size_t i = 0; i < count; ++i) line += (i ? "," : "") + CsvCell(cells[i]);
  line += "\r\n";
  if (WriteAll(ctx->changelog_fd, line)) return LM_OK;
  ctx->changelog_error = "cannot write the changelog " + ctx->changelog_path.string() + ": " + std::strerror(errno);
  close(ctx->changelog_fd);
  ctx->changelog_fd = -1;  // changelog_created stays: later lines fail too
  return LM_ERROR;
}

lm_result ChangelogColumns(lm_context* ctx, const char* const* names, size_t count) {
  if (ctx->changelog_rows > 0 || ctx->changelog_has_header) return LM_ERROR;  // header comes first, once
  ctx->changelog_has_header = true;
  return WriteCsvLine(ctx, names, count);
}

lm_result ChangelogRow(lm_context* ctx, const char* const* values, size_t count) {
  ++ctx->changelog_rows;
  return WriteCsvLine(ctx, values, count);
}

void* NativeHandle(lm_context* ctx, const char* kind) { return kind ? ctx->store.NativeHandle(kind) : nullptr; }

int32_t InTransaction(lm_context* ctx) { return ctx->in_transaction ? 1 : 0; }

// Error messages are one line everywhere they go (stderr, the record), so a
// plugin's line breaks become spaces.
void SetError(lm_context* ctx, const char* message) {
  ctx->error = message ? message : "";
  std::replace_if(ctx->error.begin(), ctx->error.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
}

const char* ConfigDir(lm_context* ctx) { return ctx->settings.config_dir.c_str(); }

}  // namespace

lm_result lm_context::Run() {
  const lm_migration* descriptor = migration.descriptor;
  lm_step_fn step = direction == lm::Direction::kUp ? descriptor->up : descriptor->down;
  lm_result result = step(descriptor, &lm::HostServices(), this);
  if (changelog_fd >= 0) close(std::exchange(changelog_fd, -1));
  borrowed.clear();
  // The plugin's message says which call failed; the runner's says why.
  if (result != LM_OK && !changelog_error.empty())
    error = error.empty() ? changelog_error : error + " (" + changelog_error + ")";
  if (result != LM_OK && error.empty()) error = "the step returned code " + std::to_string(result) + " without a message";
  return result;
}

namespace lm {

std::filesystem::path ChangelogPath(const StepSettings& settings, const Migration& migration, Direction direction,
                                    const std::string& run_id, int32_t attempt) {
  return settings.changelog_dir / (std::to_string(migration.version) + "_" + migration.name + "_" +
                                   DirectionName(direction) + "_" + FormatUtcCompact(settings.run_started) +
                                   "_run-" + run_id + "_attempt-" + std::to_string(attempt) + ".csv");
}

const lm_host& HostServices() {
  static const lm_host host = {
      sizeof(lm_host), LM_ABI_VERSION, Log,          Param,         ParamsJson, IsDryRun, ChangelogColumns,
      ChangelogRow,    NativeHandle,   InTransaction, SetError,   ConfigDir,
  };
  return host;
}

}  // namespace lm
