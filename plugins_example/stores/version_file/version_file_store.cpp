// An example user-written version store with the minimal contract of
// store.h: two exported functions, and the current version kept as one number
// in a text file.
//
//   "store": {"plugin": "version-file", "options": {"path": "current_version.txt"}}
//
// The path is relative to the config file's folder. A missing file means
// version 0; a file holding anything but a number is reported as corrupt,
// never read as 0. Writes go to a temporary file in the same folder that is
// then renamed over the old one, so a crash leaves either the old or the new
// number, never half of one.
//
// With this contract the runner knows only "everything up to N is applied":
// no per-version records, checksums, history, lock or transactions.
#include <fcntl.h>
#include <link_migration/store.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <type_traits>

namespace {

// A result code and its message, passed back through lm_error.
struct Outcome {
  lm_result code = LM_OK;
  std::string message;
};

Outcome failure(lm_result code, std::string message) { return {code, std::move(message)}; }

lm_result report(const Outcome& outcome, lm_error* err) {
  if (outcome.code != LM_OK && err != nullptr) {
    std::string line = "version-file store: " + outcome.message;
    for (char& c : line)
      if (c == '\n' || c == '\r') c = ' ';
    std::snprintf(err->message, sizeof err->message, "%s", line.c_str());
  }
  return outcome.code;
}

std::string errno_text(int error) { return std::strerror(error); }

// options.path, resolved against config_dir.
Outcome version_file_path(const char* options_json, const char* config_dir, std::string* path) {
  const nlohmann::json options =
      nlohmann::json::parse(options_json != nullptr ? options_json : "{}", nullptr,
                            /*allow_exceptions=*/false);
  if (options.is_discarded() || !options.is_object())
    return failure(LM_ERROR, "the store options must be a JSON object");
  const auto found = options.find("path");
  if (found == options.end() || !found->is_string() || found->get<std::string>().empty()) {
    return failure(LM_ERROR,
                   "options need \"path\", the file that holds the current version, e.g. "
                   "{\"path\": \"current_version.txt\"}");
  }
  std::filesystem::path file(found->get<std::string>());
  if (file.is_relative() && config_dir != nullptr && config_dir[0] != '\0')
    file = std::filesystem::path(config_dir) / file;
  *path = file.lexically_normal().string();
  return {};
}

// A short, printable excerpt of what a corrupt file holds.
std::string excerpt(std::string_view text) {
  std::string shown;
  for (char c : text.substr(0, 24)) shown += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (text.size() > 24) shown += "...";
  return shown;
}

Outcome read_version(const std::string& path, int64_t* version) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      *version = 0;  // never written: nothing applied yet
      return {};
    }
    return failure(LM_ERR_UNAVAILABLE, "cannot open " + path + ": " + errno_text(errno));
  }
  // A version number is at most 20 digits; anything longer is not one.
  char buffer[256];
  std::size_t size = 0;
  while (size < sizeof buffer) {
    const ssize_t got = ::read(fd, buffer + size, sizeof buffer - size);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      const int error = errno;
      ::close(fd);
      return failure(LM_ERR_UNAVAILABLE, "cannot read " + path + ": " + errno_text(error));
    }
    if (got == 0) break;
    size += static_cast<std::size_t>(got);
  }
  ::close(fd);

  std::string_view text(buffer, size);
  const auto first = text.find_first_not_of(" \t\r\n");
  const auto last = text.find_last_not_of(" \t\r\n");
  const std::string_view number =
      first == std::string_view::npos ? std::string_view() : text.substr(first, last - first + 1);
  int64_t value = -1;
  const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (number.empty() || error != std::errc() || end != number.data() + number.size() || value < 0) {
    const std::string found =
        number.empty() ? "it is empty" : "it holds \"" + excerpt(number) + "\"";
    return failure(LM_ERR_CORRUPT, path + " does not hold a version number (" + found +
                                       "); fix or delete the file");
  }
  *version = value;
  return {};
}

bool write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t wrote = ::write(fd, text.data(), text.size());
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) return false;
    text.remove_prefix(static_cast<std::size_t>(wrote));
  }
  return true;
}

Outcome write_version(const std::string& path, int64_t version) {
  if (version < 0) return failure(LM_ERROR, "cannot store a negative version");
  const std::string temporary = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return failure(LM_ERR_UNAVAILABLE, "cannot create " + temporary + ": " + errno_text(errno));
  const bool written = write_all(fd, std::to_string(version) + "\n") && ::fsync(fd) == 0;
  const int write_error = errno;
  if (::close(fd) != 0 || !written) {
    ::unlink(temporary.c_str());
    return failure(LM_ERR_UNAVAILABLE,
                   "cannot write " + temporary + ": " + errno_text(written ? errno : write_error));
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    return failure(LM_ERR_UNAVAILABLE,
                   "cannot rename " + temporary + " to " + path + ": " + errno_text(error));
  }
  // Make the rename itself durable; a folder that cannot be synced is no error.
  const std::string folder = std::filesystem::path(path).parent_path().string();
  const int dir = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return {};
}

}  // namespace

LM_EXTERN_C LM_EXPORT lm_result link_migration_get_current_version(const char* options_json,
                                                                   const char* config_dir,
                                                                   int64_t* version,
                                                                   lm_error* err) noexcept {
  try {
    if (version == nullptr) return report(failure(LM_ERROR, "no place for the version"), err);
    std::string path;
    Outcome outcome = version_file_path(options_json, config_dir, &path);
    if (outcome.code == LM_OK) outcome = read_version(path, version);
    return report(outcome, err);
  } catch (const std::exception& caught) {
    return report(failure(LM_ERROR, caught.what()), err);
  } catch (...) {
    return report(failure(LM_ERROR, "unexpected exception"), err);
  }
}

LM_EXTERN_C LM_EXPORT lm_result link_migration_set_current_version(const char* options_json,
                                                                   const char* config_dir,
                                                                   int64_t version,
                                                                   lm_error* err) noexcept {
  try {
    std::string path;
    Outcome outcome = version_file_path(options_json, config_dir, &path);
    if (outcome.code == LM_OK) outcome = write_version(path, version);
    return report(outcome, err);
  } catch (const std::exception& caught) {
    return report(failure(LM_ERROR, caught.what()), err);
  } catch (...) {
    return report(failure(LM_ERROR, "unexpected exception"), err);
  }
}

// The exports must fit the contract's function types.
static_assert(std::is_convertible_v<decltype(&link_migration_get_current_version),
                                    lm_get_current_version_fn>);
static_assert(std::is_convertible_v<decltype(&link_migration_set_current_version),
                                    lm_set_current_version_fn>);
