#include "plugin_library.h"

#include <dlfcn.h>

#include <deque>
#include <mutex>

#include "library_file_check.h"

namespace lm {
namespace {

// Deliberately never destroyed: unloading a plugin would invalidate every
// pointer the runner holds into it, even during static destruction at exit.
std::deque<boost::dll::shared_library>& LoadedLibraries() {
  static auto* libraries = new std::deque<boost::dll::shared_library>();
  return *libraries;
}

std::mutex& LoadMutex() {
  static auto* mutex = new std::mutex();
  return *mutex;
}

}  // namespace

Status LoadPluginLibrary(const std::filesystem::path& path, const TrustPolicy& trust,
                         const boost::dll::shared_library** library) {
  LM_RETURN_IF_ERROR(CheckTrusted(path, trust));
  std::string problem = CheckLibraryFile(path);
  if (!problem.empty()) return Status::Error(ErrorKind::kPluginLoad, path.string() + ": " + problem);

  std::lock_guard<std::mutex> hold(LoadMutex());
  boost::dll::fs::error_code error;
  dlerror();  // Boost.DLL keeps only errno-style codes; dlerror() has the loader's words.
  boost::dll::shared_library loaded(boost::dll::fs::path(path.string()),
                                    boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local,
                                    error);
  if (error) {
    const char* reason = dlerror();
    return Status::Error(ErrorKind::kPluginLoad, path.string() + ": cannot load: " +
                                                     (reason ? reason : error.message()));
  }
  LoadedLibraries().push_back(std::move(loaded));
  *library = &LoadedLibraries().back();
  return Status::Ok();
}

}  // namespace lm
