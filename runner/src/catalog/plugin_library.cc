#include "catalog/plugin_library.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <deque>
#include <exception>

#include "catalog/library_file.h"

namespace lm {
namespace {

// Deliberately never destroyed: unloading a plugin would invalidate every
// pointer the runner holds into it, even during static destruction at exit.
std::deque<boost::dll::shared_library>& LoadedLibraries() {
  static auto* libraries = new std::deque<boost::dll::shared_library>();
  return *libraries;
}

}  // namespace

namespace {

Status LoadChecked(const std::filesystem::path& path, const std::string& name,
                   const boost::dll::shared_library** library) {
  std::string problem = InspectLibraryFile(path);
  if (!problem.empty()) return Status::Error(ErrorKind::kPluginLoad, name + ": " + problem);

  boost::dll::fs::error_code error;
  dlerror();  // Boost.DLL keeps only errno-style codes; dlerror() has the loader's words.
  boost::dll::shared_library loaded;
  // A plugin's static initialisers run inside dlopen, and an exception one
  // of them throws comes out of it: that is the plugin failing to load.
  try {
    loaded.load(boost::dll::fs::path(path.string()),
                boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, error);
  } catch (const std::exception& thrown) {
    return Status::Error(ErrorKind::kPluginLoad,
                         name + ": cannot load: its static initialiser threw: " + thrown.what());
  } catch (...) {
    return Status::Error(ErrorKind::kPluginLoad, name + ": cannot load: its static initialiser threw");
  }
  if (error) {
    const char* reason = dlerror();
    return Status::Error(ErrorKind::kPluginLoad, name + ": cannot load: " + (reason ? reason : error.message()));
  }
  LoadedLibraries().push_back(std::move(loaded));
  *library = &LoadedLibraries().back();
  return Status::Ok();
}

}  // namespace

Status LoadPluginLibrary(const std::filesystem::path& path, TrustChecker& trust,
                         const boost::dll::shared_library** library) {
  LM_RETURN_IF_ERROR(trust.Check(path));
  return LoadChecked(path, path.string(), library);
}

Status LoadPluginFromMemory(const std::string& bytes, const std::string& name,
                            const boost::dll::shared_library** library) {
  const int fd = memfd_create("link-migration-plugin", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return Status::Error(ErrorKind::kPluginLoad, name + ": memfd_create: " + strerror(errno));
  for (size_t written = 0; written < bytes.size();) {
    ssize_t n = write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close(fd);
      return Status::Error(ErrorKind::kPluginLoad, name + ": cannot write to memory file: " + strerror(errno));
    }
    written += static_cast<size_t>(n);
  }
  // Sealed: the bytes that were verified are the bytes that get mapped.
  fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
  // The descriptor stays open for good: the loader recognises libraries by
  // name, and a reused /proc/self/fd/N would be taken for the earlier one.
  Status status = LoadChecked("/proc/self/fd/" + std::to_string(fd), name, library);
  if (!status.ok()) close(fd);
  return status;
}

}  // namespace lm
