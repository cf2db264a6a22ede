// Migration bundles: one file a release can ship, holding the migration
// plugins for one platform and a manifest that says what they are. The format
// is specified in docs/bundles.md: a tar archive with manifest.json first, an
// optional manifest.sig (ed25519 signatures over the manifest's bytes), and
// the plugin files under plugins/.
#ifndef LINK_MIGRATION_RUNNER_BUNDLE_H
#define LINK_MIGRATION_RUNNER_BUNDLE_H

#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"

namespace lm {

inline constexpr int kBundleFormat = 1;
inline constexpr const char* kManifestName = "manifest.json";
inline constexpr const char* kSignatureName = "manifest.sig";

// "linux-x86_64": what this runner can load.
const std::string& ThisPlatform();

struct BundleMigration {
  int64_t version = 0;
  std::string name;
};

struct BundleFile {
  std::string path;    // inside the archive, e.g. "plugins/001_create.so"
  std::string sha256;  // lowercase hex of the bytes
  uint64_t size = 0;
  std::vector<BundleMigration> migrations;
  std::string bytes;   // filled when read from a bundle
};

struct BundleManifest {
  int format = kBundleFormat;
  std::string name;
  std::string version;
  uint32_t abi = 0;
  std::string platform;
  std::string created_by;
  std::vector<BundleFile> files;
};

struct BundleSignature {
  std::string public_key;  // 64 hex digits (ed25519)
  std::string signature;   // 128 hex digits
  bool valid = false;      // over this bundle's manifest bytes
};

struct Bundle {
  std::filesystem::path path;
  BundleManifest manifest;
  std::string manifest_bytes;
  std::vector<BundleSignature> signatures;  // every one valid, once ReadBundle accepted the bundle
  // The key among the policy's required keys whose signature verified;
  // empty when the policy required none.
  std::string trusted_key;
};

// How large a bundle may be (config: "bundles"; docs/bundles.md). Reading
// one keeps its plugins in memory, so the file's size bounds what it costs.
struct BundleLimits {
  static constexpr uint64_t kDefaultMaxBytes = uint64_t{1} << 30;  // 1 GiB
  static constexpr uint64_t kDefaultMaxMembers = 10000;
  uint64_t max_bytes = kDefaultMaxBytes;      // the bundle file's size
  uint64_t max_members = kDefaultMaxMembers;  // its members, manifest included
};
// manifest.json and manifest.sig are parsed whole: larger is not a manifest.
inline constexpr uint64_t kMaxManifestBytes = 64 << 20;
inline constexpr uint64_t kMaxSignatureBytes = 1 << 20;

// What a bundle must satisfy to be loaded.
struct BundlePolicy {
  BundleLimits limits;
  // When not empty, at least one valid signature by one of these public keys
  // (hex) is required.
  std::set<std::string> required_keys;
};

// Reads and verifies a bundle: the manifest parses and is of a known format,
// ABI and this platform; every plugin file is listed, every listed file is
// present with its size and SHA-256; every signature it carries matches the
// manifest (a bundle with one that does not is refused, whatever `policy`
// says), and one is by a key of `policy`'s when it names any. Errors (kind
// kPluginLoad) name the bundle and the file at fault.
// Nothing in the bundle is loaded or run.
Status ReadBundle(const std::filesystem::path& path, const BundlePolicy& policy, Bundle* bundle);

// Parses a manifest's bytes (`bundle` is named in messages). Strict: a
// missing key, a wrong type or an unknown format is an error. ReadBundle
// calls it; it is separate so that it can be fuzzed without a tar around it.
Status ParseBundleManifest(const std::filesystem::path& bundle, const std::string& bytes, BundleManifest* manifest);

// Writes a bundle of `plugins` (files on disk) described by `manifest`
// (name, version; files are filled in here: their migrations must already be
// set, in the same order as `plugins`).
Status WriteBundle(const std::filesystem::path& out, const std::vector<std::filesystem::path>& plugins,
                   BundleManifest manifest);

// Adds an ed25519 signature over the bundle's manifest, made with the secret
// key in `secret_key_file` (written by GenerateKeyPair).
Status SignBundle(const std::filesystem::path& path, const std::filesystem::path& secret_key_file);

// Writes <prefix>.pub (public key, hex) and <prefix>.key (secret key, hex,
// mode 0600). Refuses to overwrite.
Status GenerateKeyPair(const std::filesystem::path& prefix, std::string* public_key_hex);

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_BUNDLE_H
