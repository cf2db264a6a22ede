// Validation: does the store still agree with the plugins? Drift is an
// applied migration whose source changed, or whose plugin no longer carries
// the checksum its record has (rebuilt without LM_SOURCE_CHECKSUM: a change
// could no longer be seen), an applied version no plugin provides any more,
// or a pending version older than the newest applied one (out of order,
// typically from a merged branch); and a plugin file or bundle that cannot be
// read, whose versions nobody can check (broken).
#ifndef LINK_MIGRATION_RUNNER_DRIFT_H
#define LINK_MIGRATION_RUNNER_DRIFT_H

#include <cstdint>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "store/version_store.h"

namespace lm {

struct Drift {
  enum class Kind { kChecksumChanged, kChecksumMissing, kMissing, kOutOfOrder, kBrokenPlugin };
  Kind kind;
  int64_t version = 0;  // 0 for a broken plugin: its versions are unknown
  std::string message;  // one line, naming the version and the way out
};

// "checksum-changed", "checksum-missing", "missing", "out-of-order", "broken-plugin"
const char* DriftKindName(Drift::Kind kind);

// Every drift: the broken plugins first, then ascending by version. A record
// without a checksum (a store with the minimal contract, or a plugin built
// without one when it was applied) is compared with nothing.
std::vector<Drift> FindDrift(const Catalog& catalog, const std::vector<Record>& records);

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_DRIFT_H
