// link-migration C++ convenience layer over the C ABI in migration.h.
//
// A migration is one declaration:
//
//   #include <link_migration/migration.hpp>
//
//   LINK_MIGRATION({
//       .version = 3,
//       .name = "add_users_email",
//       .description = "Adds a nullable email column to users.",
//       .up = [](link_migration::Context& ctx) { ... },
//       .down = [](link_migration::Context& ctx) { ... },  // omit: irreversible
//   });
//
// A library may hold any number of LINK_MIGRATION declarations (a bundle
// library). Everything here is constant data plus inline functions compiled
// into the plugin with hidden visibility: no registration code runs at load
// time, and exceptions thrown by up/down become an error result carrying
// their message, never crossing into the runner.
#ifndef LINK_MIGRATION_MIGRATION_HPP
#define LINK_MIGRATION_MIGRATION_HPP

#include <link_migration/migration.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace link_migration {

// The runner's services for one step. Borrowed: valid only inside up/down.
class Context {
 public:
  Context(const lm_host* host, lm_context* ctx) : host_(host), ctx_(ctx) {}

  void debug(std::string_view line) const { log(LM_LOG_DEBUG, line); }
  void info(std::string_view line) const { log(LM_LOG_INFO, line); }
  void warn(std::string_view line) const { log(LM_LOG_WARNING, line); }
  void error(std::string_view line) const { log(LM_LOG_ERROR, line); }

  // The JSON text of params[key], or nullopt when the config has no such key.
  std::optional<std::string> param(const char* key) const {
    const char* value = host_->param(ctx_, key);
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  }
  // A string parameter, its JSON escapes decoded; fallback when absent.
  // Throws when the parameter is there but is not a JSON string.
  std::string param_string(const char* key, std::string_view fallback = {}) const {
    auto json = param(key);
    if (!json) return std::string(fallback);
    std::string text;
    if (!decode_json_string(*json, &text))
      throw std::runtime_error(std::string("params.") + key + " must be a string, not " + *json);
    return text;
  }
  std::string params_json() const { return host_->params_json(ctx_); }

  bool dry_run() const { return host_->is_dry_run(ctx_) != 0; }

  // The config file's folder; empty from a runner older than this service.
  std::string config_dir() const {
    constexpr size_t needed = offsetof(lm_host, config_dir) + sizeof(lm_host::config_dir);
    if (host_->struct_size < needed || host_->config_dir == nullptr) return "";
    return host_->config_dir(ctx_);
  }
  bool in_transaction() const { return host_->in_transaction(ctx_) != 0; }

  // The store's connection, e.g. native<sqlite3>("sqlite3"); nullptr when
  // the store offers no handle of that kind.
  template <class Handle>
  Handle* native(const char* kind) const {
    return static_cast<Handle*>(host_->native_handle(ctx_, kind));
  }
  // Like native(), but throws when the store has no such handle.
  template <class Handle>
  Handle* require_native(const char* kind) const {
    if (Handle* handle = native<Handle>(kind)) return handle;
    throw std::runtime_error(std::string("the version store offers no '") + kind +
                             "' connection; this migration needs one");
  }

  // Data changelog: a header once, then one row per change.
  void changelog_columns(std::initializer_list<std::string_view> names) const {
    check(host_->changelog_columns, names, "changelog_columns");
  }
  void changelog_row(std::initializer_list<std::string_view> values) const {
    check(host_->changelog_row, values, "changelog_row");
  }
  void changelog_row(const std::vector<std::string>& values) const {
    std::vector<const char*> cells;
    cells.reserve(values.size());
    for (const auto& value : values) cells.push_back(value.c_str());
    if (host_->changelog_row(ctx_, cells.data(), cells.size()) != LM_OK)
      throw std::runtime_error("changelog_row failed");
  }

  const lm_host* host() const { return host_; }
  lm_context* raw() const { return ctx_; }

 private:
  // Decodes one JSON string literal (the runner hands back valid JSON).
  static bool decode_json_string(const std::string& json, std::string* out) {
    if (json.size() < 2 || json.front() != '"' || json.back() != '"') return false;
    for (size_t i = 1; i + 1 < json.size(); ++i) {
      char c = json[i];
      if (c != '\\') {
        *out += c;
        continue;
      }
      if (++i + 1 >= json.size()) return false;
      switch (json[i]) {
        case 'n': *out += '\n'; break;
        case 't': *out += '\t'; break;
        case 'r': *out += '\r'; break;
        case 'b': *out += '\b'; break;
        case 'f': *out += '\f'; break;
        case 'u': {
          if (i + 4 >= json.size()) return false;
          unsigned code = static_cast<unsigned>(std::stoul(json.substr(i + 1, 4), nullptr, 16));
          i += 4;
          if (code >= 0xD800 && code <= 0xDBFF && i + 6 < json.size() && json[i + 1] == '\\' && json[i + 2] == 'u') {
            unsigned low = static_cast<unsigned>(std::stoul(json.substr(i + 3, 4), nullptr, 16));
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
            i += 6;
          }
          if (code < 0x80) {
            *out += static_cast<char>(code);
          } else if (code < 0x800) {
            *out += static_cast<char>(0xC0 | (code >> 6));
            *out += static_cast<char>(0x80 | (code & 0x3F));
          } else if (code < 0x10000) {
            *out += static_cast<char>(0xE0 | (code >> 12));
            *out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            *out += static_cast<char>(0x80 | (code & 0x3F));
          } else {
            *out += static_cast<char>(0xF0 | (code >> 18));
            *out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
            *out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            *out += static_cast<char>(0x80 | (code & 0x3F));
          }
          break;
        }
        default: *out += json[i]; break;  // \" \\ \/
      }
    }
    return true;
  }

  void log(int32_t level, std::string_view line) const {
    std::string text(line);
    host_->log(ctx_, level, text.c_str());
  }

  template <class Fn>
  void check(Fn fn, std::initializer_list<std::string_view> cells_in, const char* what) const {
    std::vector<std::string> owned(cells_in.begin(), cells_in.end());
    std::vector<const char*> cells;
    cells.reserve(owned.size());
    for (const auto& cell : owned) cells.push_back(cell.c_str());
    if (fn(ctx_, cells.data(), cells.size()) != LM_OK)
      throw std::runtime_error(std::string(what) + " failed");
  }

  const lm_host* host_;
  lm_context* ctx_;
};

using Step = void (*)(Context&);

// What a migration author fills in (C++20 designated initializers).
struct Migration {
  std::int64_t version = 0;
  const char* name = nullptr;
  const char* description = nullptr;
  Step up = nullptr;
  Step down = nullptr;  // nullptr: irreversible
  std::uint32_t flags = 0;  // LM_MIGRATION_NO_TRANSACTION
  const char* up_note = nullptr;
  const char* down_note = nullptr;
};

namespace detail {

inline lm_result run_step(Step step, const lm_host* host, lm_context* ctx) noexcept {
  try {
    Context context(host, ctx);
    step(context);
    return LM_OK;
  } catch (const std::exception& failure) {
    host->set_error(ctx, failure.what());
  } catch (...) {
    host->set_error(ctx, "up/down threw an exception that is not a std::exception");
  }
  return LM_ERROR;
}

inline lm_result run_up(const lm_migration* self, const lm_host* host, lm_context* ctx) {
  return run_step(static_cast<const Migration*>(self->user_data)->up, host, ctx);
}

inline lm_result run_down(const lm_migration* self, const lm_host* host, lm_context* ctx) {
  return run_step(static_cast<const Migration*>(self->user_data)->down, host, ctx);
}

// Copies `text` into a fixed field; an empty field when it does not fit.
template <size_t N>
constexpr void copy_fixed(const char* text, char (&field)[N]) {
  size_t length = 0;
  while (text != nullptr && text[length] != '\0') ++length;
  if (length >= N) length = 0;
  for (size_t i = 0; i < N; ++i) field[i] = i < length ? text[i] : '\0';
}

constexpr lm_meta_record meta(const Migration& m, const char* checksum) {
  lm_meta_record record{};
  record.magic = LM_META_MAGIC;
  record.struct_size = sizeof(lm_meta_record);
  record.version = m.version;
  record.flags = m.flags;
  record.reversible = m.down != nullptr ? 1 : 0;
  copy_fixed(m.name, record.name);
  copy_fixed(checksum, record.checksum);
  return record;
}

constexpr lm_migration describe(const Migration& m, const char* checksum) {
  return lm_migration{sizeof(lm_migration), m.flags,  m.version,
                      m.name,               m.description, m.up_note,
                      m.down_note,          checksum,  m.up ? &run_up : nullptr,
                      m.down ? &run_down : nullptr, &m};
}

}  // namespace detail
}  // namespace link_migration

#define LM_MIGRATION_IMPL_(id, ...)                                                       \
  namespace {                                                                             \
  constexpr ::link_migration::Migration LM_CONCAT_(lm_definition_, id) =                 \
      ::link_migration::Migration __VA_ARGS__;                                            \
  static_assert(LM_CONCAT_(lm_definition_, id).version > 0,                               \
                "a migration's version must be greater than 0");                          \
  static_assert(LM_CONCAT_(lm_definition_, id).name != nullptr, "a migration needs a name"); \
  static_assert(LM_CONCAT_(lm_definition_, id).up != nullptr, "a migration needs an up step"); \
  constexpr lm_migration LM_CONCAT_(lm_descriptor_, id) =                                 \
      ::link_migration::detail::describe(LM_CONCAT_(lm_definition_, id), LM_SOURCE_CHECKSUM); \
  LM_REGISTER_MIGRATION(LM_CONCAT_(lm_descriptor_, id));                                  \
  __attribute__((used, section(LM_META_SECTION))) constexpr lm_meta_record LM_CONCAT_(     \
      lm_meta_, id) = ::link_migration::detail::meta(LM_CONCAT_(lm_definition_, id), LM_SOURCE_CHECKSUM); \
  }

// LINK_MIGRATION({ .version = N, .name = "...", .up = ..., ... });
#define LINK_MIGRATION(...) LM_MIGRATION_IMPL_(__COUNTER__, __VA_ARGS__)

#endif  // LINK_MIGRATION_MIGRATION_HPP
