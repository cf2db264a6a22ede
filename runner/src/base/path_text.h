// A file's folder and name, taken from its path as text. The catalog and the
// trust check split a thousand plugin paths at every start, and a
// std::filesystem::path made for each would split itself into components.
#ifndef LINK_MIGRATION_RUNNER_PATH_TEXT_H
#define LINK_MIGRATION_RUNNER_PATH_TEXT_H

#include <string_view>

namespace lm {

// "a/b/c.so" -> "a/b"; "/c.so" -> "/"; "c.so" -> ".". Views into `path`
// (or a literal).
inline std::string_view FolderOf(std::string_view path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  return slash == 0 ? path.substr(0, 1) : path.substr(0, slash);
}

// "a/b/c.so" -> "c.so"; "c.so" -> "c.so". A view into `path`, ending where it ends.
inline std::string_view NameOf(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_PATH_TEXT_H
