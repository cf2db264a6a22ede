// The bundle commands' work: make a bundle from built plugins, and describe
// one for people.
#ifndef LINK_MIGRATION_RUNNER_BUNDLE_TOOL_H
#define LINK_MIGRATION_RUNNER_BUNDLE_TOOL_H

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "catalog/bundle.h"
#include "base/status.h"
#include "catalog/trust.h"

namespace lm {

// Loads the plugins found in `inputs` (plugin files or folders of them; all
// checked as the runner would before migrating), then writes them with
// their manifest to `out`.
Status CreateBundle(const std::filesystem::path& out, const std::vector<std::filesystem::path>& inputs,
                    const std::string& name, const std::string& version, const TrustPolicy& trust);

// The manifest, files, sizes, migrations and signatures, as text.
void PrintBundle(const Bundle& bundle, std::FILE* out);

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_BUNDLE_TOOL_H
