// Reads the descriptors of plugin files that carry no lm_meta section (old
// plugins, libraries not built with the SDK's macro) without loading them
// into the runner. Only loading such a file tells what it holds, and loading
// runs its static initialisers: a plugin that crashes there, or a damaged
// file the header checks let through, would kill the runner, and code the
// runner only meant to list would have run in it. So a short-lived child
// process loads them, reads their descriptors and sends the metadata back;
// the runner process itself never dlopens a migration plugin.
#ifndef LINK_MIGRATION_RUNNER_DESCRIPTOR_PROBE_H
#define LINK_MIGRATION_RUNNER_DESCRIPTOR_PROBE_H

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "catalog/catalog.h"

namespace lm {

// Loads file `index` in the calling (child) process and reads its
// migrations, or says why not (kind kPluginLoad, naming the file).
using DescriptorReader = std::function<Status(size_t index, std::vector<Migration>* migrations)>;

// What the child found in one file: its migrations (without descriptors: the
// library stayed in the child) or its one problem.
struct ProbedFile {
  Status problem;
  std::vector<Migration> migrations;
};

// Runs `read` for each of the files named `names` (in order) in one forked
// child, which exits once all are read; waits for it. A file during which the
// child died gets the problem "NAME: crashed while loading (SIGSEGV)" (or
// "exited while loading (exit status N)"), and the files after it are read
// by a fresh child. Every file gets an answer. Forks only when `names` is
// not empty; no thread of the caller's may hold a lock `read` takes.
std::vector<ProbedFile> ReadDescriptorsInChild(const std::vector<std::string>& names, const DescriptorReader& read_descriptors);

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_DESCRIPTOR_PROBE_H
