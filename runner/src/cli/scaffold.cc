#include "cli/scaffold.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <regex>
#include <sstream>

#include "base/atomic_file.h"

namespace lm {
namespace {

namespace fs = std::filesystem;

bool IsSource(const fs::path& file) {
  const std::string ext = file.extension().string();
  return ext == ".cpp" || ext == ".cc" || ext == ".cxx" || ext == ".c";
}

// The part of a source's stem after its version: "004_add_index" -> "add_index".
std::string NameOf(const fs::path& file) {
  std::string stem = file.stem().string();
  size_t digits = 0;
  while (digits < stem.size() && std::isdigit(static_cast<unsigned char>(stem[digits]))) ++digits;
  if (digits > 0 && digits < stem.size() && stem[digits] == '_') return stem.substr(digits + 1);
  return stem;
}

Status CheckName(const std::string& name) {
  const bool ok = !name.empty() && name.size() <= 100 && std::isalpha(static_cast<unsigned char>(name[0])) &&
                  std::all_of(name.begin(), name.end(),
                              [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
  if (ok) return Status::Ok();
  return Status::Error(ErrorKind::kUsage, "'" + name +
                                              "' is not a migration name: use a letter, then letters, digits "
                                              "and _ (e.g. add_books_index)");
}

std::string Source(const std::string& name, int64_t version) {
  const std::string v = std::to_string(version);
  std::ostringstream text;
  text << "// Version " << v << ": " << name << ".\n"
       << "// Written by `link-migration new`: fill in up and down (docs/writing-migrations.md).\n"
       << "// Once this version is applied anywhere that matters, do not edit it: its\n"
       << "// checksum would change. Write a new migration instead.\n"
       << "#include <link_migration/migration.hpp>\n"
       << "\n"
       << "using link_migration::Context;\n"
       << "\n"
       << "LINK_MIGRATION({\n"
       << "    .version = " << v << ",\n"
       << "    .name = \"" << name << "\",\n"
       << "    .description = \"TODO: one paragraph on what " << name << " changes and why.\",\n"
       << "    .up = [](Context& ctx) {\n"
       << "      // TODO: apply the change. SQL on the sqlite store's connection:\n"
       << "      //   #include <link_migration/sqlite.hpp>\n"
       << "      //   link_migration::sqlite::exec(ctx, \"CREATE TABLE ...\");\n"
       << "      // and link the plugin with SQLite::SQLite3. Throw to fail the step.\n"
       << "      ctx.info(\"" << name << ": up has nothing to do yet\");\n"
       << "    },\n"
       << "    .down = [](Context& ctx) {\n"
       << "      // TODO: undo exactly what up did. Leave .down out if nothing can.\n"
       << "      ctx.info(\"" << name << ": down has nothing to do yet\");\n"
       << "    },\n"
       << "});\n";
  return text.str();
}

}  // namespace

int64_t TimestampVersion(std::chrono::system_clock::time_point now) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[16];
  std::strftime(text, sizeof(text), "%Y%m%d%H%M%S", &utc);
  return std::stoll(text);
}

std::set<int64_t> SourceVersions(const fs::path& dir) {
  std::set<int64_t> versions;
  static const std::regex kDeclared(R"(\.version\s*=\s*([0-9]{1,18})\b)");
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, error)) {
    if (!entry.is_regular_file(error) || !IsSource(entry.path())) continue;
    const std::string stem = entry.path().stem().string();
    size_t digits = 0;
    while (digits < stem.size() && digits < 18 && std::isdigit(static_cast<unsigned char>(stem[digits]))) ++digits;
    if (digits > 0) versions.insert(std::stoll(stem.substr(0, digits)));
    std::ifstream in(entry.path());
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (std::sregex_iterator it(text.begin(), text.end(), kDeclared), end; it != end; ++it)
      versions.insert(std::stoll((*it)[1].str()));
  }
  versions.erase(0);
  return versions;
}

Status Scaffold(const ScaffoldRequest& request, ScaffoldResult* result) {
  LM_RETURN_IF_ERROR(CheckName(request.name));
  std::error_code error;
  fs::create_directories(request.dir, error);
  if (error)
    return Status::Error(ErrorKind::kUsage, request.dir.string() + ": cannot create the folder: " + error.message());
  for (const fs::directory_entry& entry : fs::directory_iterator(request.dir, error)) {
    if (entry.is_regular_file(error) && IsSource(entry.path()) && NameOf(entry.path()) == request.name)
      return Status::Error(ErrorKind::kUsage, "a migration named " + request.name + " exists already: " +
                                                  entry.path().string() + "; choose another name");
  }

  std::set<int64_t> known = request.known_versions;
  known.merge(SourceVersions(request.dir));
  const int64_t next = known.empty() ? 1 : *known.rbegin() + 1;
  // Two runs in one second must not share a version: then latest + 1.
  result->version = request.timestamp ? std::max(*request.timestamp, next) : next;
  char prefix[32];
  std::snprintf(prefix, sizeof(prefix), request.timestamp ? "%lld" : "%03lld",
                static_cast<long long>(result->version));
  result->target = std::string(prefix) + "_" + request.name;
  result->file = request.dir / (result->target + ".cpp");

  // Created only: never overwrite, even a file that appeared since the
  // check above; and whole or not at all.
  bool created = false;
  const std::string problem = WriteFileAtomically(result->file.native(), Source(request.name, result->version), 0666,
                                                   Publish::kCreateOnly, &created);
  if (!problem.empty()) return Status::Error(ErrorKind::kUsage, "could not write the source: " + problem);
  if (!created) return Status::Error(ErrorKind::kUsage, result->file.string() + ": exists already; not overwriting it");
  return Status::Ok();
}

std::string DisplayPath(const fs::path& path, const fs::path& base) {
  const fs::path relative = path.lexically_relative(base);
  if (relative.empty() || *relative.begin() == "..") return path.string();
  return relative.string();
}

std::string CMakeLine(const ScaffoldResult& result, const fs::path& base) {
  const std::string dir = DisplayPath(result.file.parent_path(), base);
  const std::string output = fs::path(dir).is_absolute() ? dir : "${CMAKE_CURRENT_SOURCE_DIR}/" + dir;
  return "link_migration_add_migration(" + result.target + " SOURCES \"" + DisplayPath(result.file, base) +
         "\" OUTPUT_DIRECTORY \"" + output + "\")";
}

}  // namespace lm
