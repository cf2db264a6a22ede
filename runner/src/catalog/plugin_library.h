// Loads plugin libraries for the life of the process.
#ifndef LINK_MIGRATION_RUNNER_PLUGIN_LIBRARY_H
#define LINK_MIGRATION_RUNNER_PLUGIN_LIBRARY_H

#include <boost/dll/shared_library.hpp>
#include <filesystem>

#include "base/status.h"
#include "catalog/trust.h"

namespace lm {

// Checks the file (trust rules, then that it is a complete library for this
// machine), then loads it with immediate binding and local symbols.
// The library is never unloaded: code, static data and strings of a plugin
// stay valid until the process exits. On failure the error (kind
// kPluginLoad) names the file and the loader's reason.
Status LoadPluginLibrary(const std::filesystem::path& path, TrustChecker& trust,
                         const boost::dll::shared_library** library);

// Loads a plugin from bytes already verified (a bundle's member) through an
// anonymous, sealed in-memory file: nothing is unpacked to disk. `name`
// appears in errors.
Status LoadPluginFromMemory(const std::string& bytes, const std::string& name,
                            const boost::dll::shared_library** library);

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_PLUGIN_LIBRARY_H
