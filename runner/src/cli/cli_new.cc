// `new NAME`: scaffolds a migration source where the runner's migrations
// live, versioned after every migration already there.
#include <cstdio>

#include "cli/cli_commands.h"
#include "cli/scaffold.h"

namespace lm {

namespace fs = std::filesystem;

int RunNewCommand(const Invocation& inv, const CliOutput& io) {
  if (inv.arguments.size() != 1)
    return Fail(io, Status::Error(ErrorKind::kUsage, "'new' takes one NAME, e.g. new add_books_index"));
  if (inv.config_file.empty() && inv.dir.empty())
    return Fail(io, Status::Error(ErrorKind::kUsage, "new needs a config (-c FILE) or a folder (--dir FOLDER)"));
  ScaffoldRequest request;
  request.name = inv.arguments[0];
  if (!inv.dir.empty()) request.dir = fs::absolute(inv.dir).lexically_normal();
  if (!inv.config_file.empty()) {
    EngineOptions options;
    Status status = EngineOptionsFrom(inv, &options);
    std::unique_ptr<Engine> engine;
    if (status.ok()) status = Engine::Open(options, &engine);
    if (!status.ok()) return Fail(io, status);
    for (const Migration& migration : engine->catalog().migrations()) request.known_versions.insert(migration.version);
    if (request.dir.empty()) {
      // The first folder: bundles are built, not written to.
      std::vector<fs::path> locations = engine->config().migration_dirs;
      if (!options.migration_locations.empty()) locations = options.migration_locations;
      for (const fs::path& location : locations) {
        std::error_code error;
        if (fs::is_directory(location, error)) {
          request.dir = location;
          break;
        }
      }
      if (request.dir.empty())
        return Fail(io, Status::Error(ErrorKind::kUsage, "the config names no migrations folder: give --dir FOLDER"));
    }
  }
  if (inv.timestamp) request.timestamp = TimestampVersion(std::chrono::system_clock::now());

  ScaffoldResult result;
  Status status = Scaffold(request, &result);
  if (!status.ok()) return Fail(io, status);
  const fs::path here = fs::current_path();
  std::fprintf(io.out, "Wrote %s (version %lld).\nBuild it with this line in your CMakeLists.txt:\n%s\n",
               DisplayPath(result.file, here).c_str(),
               static_cast<long long>(result.version), CMakeLine(result, here).c_str());
  return 0;
}

}  // namespace lm
