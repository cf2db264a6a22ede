#include "catalog/bundle.h"

#include <link_migration/abi.h>
#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <utility>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/atomic_file.h"
#include "base/json_parse.h"
#include "catalog/tar_archive.h"

namespace lm {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

Status BundleError(const fs::path& bundle, const std::string& what) {
  return Status::Error(ErrorKind::kPluginLoad, "bundle " + bundle.string() + ": " + what);
}

std::string Hex(const unsigned char* bytes, size_t size) {
  std::string text(size * 2 + 1, '\0');
  sodium_bin2hex(text.data(), text.size(), bytes, size);
  text.pop_back();
  return text;
}

bool FromHex(const std::string& hex, unsigned char* bytes, size_t size) {
  size_t written = 0;
  return hex.size() == size * 2 &&
         sodium_hex2bin(bytes, size, hex.c_str(), hex.size(), nullptr, &written, nullptr) == 0 && written == size;
}

std::string Sha256(const std::string& bytes) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  return Hex(digest, sizeof(digest));
}

json ManifestJson(const BundleManifest& manifest) {
  json files = json::array();
  for (const BundleFile& file : manifest.files) {
    json migrations = json::array();
    for (const BundleMigration& m : file.migrations) migrations.push_back({{"version", m.version}, {"name", m.name}});
    files.push_back({{"path", file.path}, {"sha256", file.sha256}, {"size", file.size}, {"migrations", migrations}});
  }
  return {{"format", manifest.format}, {"name", manifest.name},         {"version", manifest.version},
          {"abi", manifest.abi},       {"platform", manifest.platform}, {"created_by", manifest.created_by},
          {"files", files}};
}

// An integer key in T's range. get<T>() alone would read 1.5 and 4294967297
// as 1, and converting a float out of T's range is undefined behaviour.
template <typename T>
T IntegerAt(const json& object, const char* key) {
  const json& value = object.at(key);
  if (value.is_number_unsigned()) {
    if (std::in_range<T>(value.get<uint64_t>())) return static_cast<T>(value.get<uint64_t>());
  } else if (value.is_number_integer()) {
    if (std::in_range<T>(value.get<int64_t>())) return static_cast<T>(value.get<int64_t>());
  }
  throw std::invalid_argument(std::string("'") + key + "' must be an integer from " +
                              std::to_string(std::numeric_limits<T>::min()) + " to " +
                              std::to_string(std::numeric_limits<T>::max()));
}

// An array key: ranging over null or a string would not fail.
const json& ArrayAt(const json& object, const char* key) {
  const json& value = object.at(key);
  if (!value.is_array()) throw std::invalid_argument(std::string("'") + key + "' must be an array");
  return value;
}

}  // namespace

// Strict: a manifest is what tools produce, so anything unexpected is an error.
Status ParseBundleManifest(const fs::path& bundle, const std::string& bytes, BundleManifest* manifest) {
  json root;
  JsonParseError invalid;  // duplicate keys and nesting beyond kMaxJsonDepth included
  if (!ParseJson(bytes, &root, &invalid))
    return BundleError(bundle, std::string(kManifestName) + ": " + Describe(invalid));
  if (!root.is_object()) return BundleError(bundle, std::string(kManifestName) + " is not a JSON object");
  try {
    manifest->format = IntegerAt<int>(root, "format");
    if (manifest->format != kBundleFormat)
      return BundleError(bundle, "manifest format " + std::to_string(manifest->format) +
                                     " is not supported (this runner reads format " + std::to_string(kBundleFormat) +
                                     ")");
    manifest->name = root.at("name").get<std::string>();
    manifest->version = root.at("version").get<std::string>();
    manifest->abi = IntegerAt<uint32_t>(root, "abi");
    manifest->platform = root.at("platform").get<std::string>();
    manifest->created_by = root.value("created_by", "");
    for (const json& raw : ArrayAt(root, "files")) {
      BundleFile file;
      file.path = raw.at("path").get<std::string>();
      file.sha256 = raw.at("sha256").get<std::string>();
      file.size = IntegerAt<uint64_t>(raw, "size");
      for (const json& m : ArrayAt(raw, "migrations"))
        file.migrations.push_back({IntegerAt<int64_t>(m, "version"), m.at("name").get<std::string>()});
      manifest->files.push_back(std::move(file));
    }
  } catch (const json::exception& failure) {
    return BundleError(bundle, std::string(kManifestName) + " is invalid: " + failure.what());
  } catch (const std::invalid_argument& failure) {
    return BundleError(bundle, std::string(kManifestName) + " is invalid: " + failure.what());
  }
  return Status::Ok();
}

namespace {

// manifest.sig's signatures, each checked against the manifest's bytes. A
// file that is not the documented shape is damage or tampering, refused as
// such: reading it as "no signature" would let an edit pass as unsigned.
Status ParseSignatures(const fs::path& path, const std::string& bytes, const std::string& manifest_bytes,
                       std::vector<BundleSignature>* signatures) {
  const std::string damaged = std::string(kSignatureName) + " is damaged or tampered with: ";
  json root;
  JsonParseError invalid;  // a key twice or nesting too deep, as for the manifest
  if (!ParseJson(bytes, &root, &invalid)) return BundleError(path, damaged + Describe(invalid));
  if (!root.is_object() || !root.contains("signatures") || !root["signatures"].is_array())
    return BundleError(path, damaged + "not a JSON object with a \"signatures\" array");
  for (const json& raw : root["signatures"]) {
    if (!raw.is_object() || !raw.contains("public_key") || !raw["public_key"].is_string() ||
        !raw.contains("signature") || !raw["signature"].is_string())
      return BundleError(path, damaged + "a signature without a public_key and a signature text");
    BundleSignature signature;
    signature.public_key = raw["public_key"].get<std::string>();
    signature.signature = raw["signature"].get<std::string>();
    unsigned char key[crypto_sign_PUBLICKEYBYTES];
    unsigned char sig[crypto_sign_BYTES];
    if (!FromHex(signature.public_key, key, sizeof(key)))
      return BundleError(path, damaged + "a public_key that is not 64 hex digits");
    signature.valid = FromHex(signature.signature, sig, sizeof(sig)) &&
                      crypto_sign_verify_detached(sig, reinterpret_cast<const unsigned char*>(manifest_bytes.data()),
                                                  manifest_bytes.size(), key) == 0;
    signatures->push_back(std::move(signature));
  }
  return Status::Ok();
}

// A signature that fails against the key it names was made over other bytes
// or altered since: the bundle was tampered with, whatever keys the config
// trusts. Only then does `policy` decide whether a signature is required.
Status CheckSignatures(const fs::path& path, const BundlePolicy& policy, Bundle* bundle) {
  for (const BundleSignature& signature : bundle->signatures)
    if (!signature.valid)
      return BundleError(path, "its signature by key " + signature.public_key +
                                   " does not match the manifest (tampered?)");
  if (policy.required_keys.empty()) return Status::Ok();
  if (bundle->signatures.empty())
    return BundleError(path, "is not signed, and the config requires a signature by a trusted key");
  for (const BundleSignature& signature : bundle->signatures) {
    if (policy.required_keys.count(signature.public_key) > 0) {
      bundle->trusted_key = signature.public_key;
      return Status::Ok();
    }
  }
  return BundleError(path, "is signed only by keys the config does not trust");
}

}  // namespace

const std::string& ThisPlatform() {
#if defined(__linux__) && defined(__x86_64__)
  static const std::string platform = "linux-x86_64";
#elif defined(__linux__) && defined(__aarch64__)
  static const std::string platform = "linux-aarch64";
#elif defined(_WIN32) && defined(_M_X64) || defined(_WIN32) && defined(__x86_64__)
  static const std::string platform = "windows-x86_64";
#else
  static const std::string platform = "unknown";
#endif
  return platform;
}

namespace {

std::string LimitHint(const char* key) {
  return " (raise it with \"bundles\": {\"" + std::string(key) + "\": N} in the config)";
}

// A member's bytes, refused before they are read when they are more than
// `most` (a manifest or signature file is parsed whole).
Status ReadSmallMember(const fs::path& path, const TarReader& reader, const TarEntry& entry, uint64_t most,
                       std::string* bytes) {
  if (entry.size > most)
    return BundleError(path, entry.name + " has " + std::to_string(entry.size) + " bytes, more than the " +
                                 std::to_string(most) + " a bundle's " + entry.name + " may have");
  const std::string problem = reader.ReadData(entry, bytes);
  return problem.empty() ? Status::Ok() : BundleError(path, problem);
}

}  // namespace

// The file is read member by member: the manifest first, then each listed
// plugin, whose size is checked against the manifest before its bytes are
// read. What stays in memory is the manifest, the signatures and the listed
// plugins, which the file's size limit bounds.
Status ReadBundle(const fs::path& path, const BundlePolicy& policy, Bundle* bundle) {
  if (sodium_init() < 0) return BundleError(path, "libsodium failed to initialise");
  TarFile file;
  std::string problem = file.Open(path);
  if (!problem.empty()) return BundleError(path, problem);
  if (file.size() > policy.limits.max_bytes)
    return BundleError(path, "is " + std::to_string(file.size()) + " bytes, more than the limit of " +
                                 std::to_string(policy.limits.max_bytes) + " bytes for a bundle" +
                                 LimitHint("max_bytes"));
  TarReader reader(file);
  TarEntry entry;
  if (!reader.Next(&entry, &problem) || entry.name != kManifestName)
    return BundleError(path, problem.empty() ? std::string("the first member must be ") + kManifestName : problem);

  *bundle = Bundle{};
  bundle->path = path;
  LM_RETURN_IF_ERROR(ReadSmallMember(path, reader, entry, kMaxManifestBytes, &bundle->manifest_bytes));
  LM_RETURN_IF_ERROR(ParseBundleManifest(path, bundle->manifest_bytes, &bundle->manifest));
  BundleManifest& manifest = bundle->manifest;
  if (manifest.abi != LM_ABI_VERSION)
    return BundleError(path, "built for plugin ABI " + std::to_string(manifest.abi) + ", this runner supports ABI " +
                                 std::to_string(LM_ABI_VERSION));
  if (manifest.platform != ThisPlatform())
    return BundleError(path, "built for platform " + manifest.platform + ", this runner is " + ThisPlatform());

  std::map<std::string, BundleFile*> listed;
  for (BundleFile& file_listed : manifest.files) {
    if (!listed.emplace(file_listed.path, &file_listed).second)
      return BundleError(path, "the manifest lists " + file_listed.path + " twice");
  }
  uint64_t members = 1;
  while (reader.Next(&entry, &problem)) {
    if (++members > policy.limits.max_members)
      return BundleError(path, "holds more than " + std::to_string(policy.limits.max_members) +
                                   " members, the limit for a bundle" +
                                   LimitHint("max_members"));
    if (entry.name == kSignatureName) {
      std::string signatures;
      LM_RETURN_IF_ERROR(ReadSmallMember(path, reader, entry, kMaxSignatureBytes, &signatures));
      LM_RETURN_IF_ERROR(ParseSignatures(path, signatures, bundle->manifest_bytes, &bundle->signatures));
      continue;
    }
    auto found = listed.find(entry.name);
    if (found == listed.end()) return BundleError(path, "holds " + entry.name + ", which its manifest does not list");
    BundleFile& listed_file = *found->second;
    if (entry.size != listed_file.size)
      return BundleError(path, listed_file.path + " has " + std::to_string(entry.size) +
                                   " bytes, the manifest says " + std::to_string(listed_file.size));
    problem = reader.ReadData(entry, &listed_file.bytes);
    if (!problem.empty()) return BundleError(path, problem);
    if (Sha256(listed_file.bytes) != listed_file.sha256)
      return BundleError(path, listed_file.path + " does not match its SHA-256 in the manifest (tampered or damaged)");
    listed.erase(found);
  }
  if (!problem.empty()) return BundleError(path, problem);
  if (!listed.empty()) return BundleError(path, "its manifest lists " + listed.begin()->first + ", which is missing");
  return CheckSignatures(path, policy, bundle);
}

Status WriteBundle(const fs::path& out, const std::vector<fs::path>& plugins, BundleManifest manifest) {
  if (sodium_init() < 0) return BundleError(out, "libsodium failed to initialise");
  if (manifest.files.size() != plugins.size()) return BundleError(out, "internal error: plugins and manifest differ");
  std::vector<TarMember> members(1);
  for (size_t i = 0; i < plugins.size(); ++i) {
    std::ifstream in(plugins[i], std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    if (!in) return BundleError(out, "cannot read " + plugins[i].string());
    BundleFile& file = manifest.files[i];
    file.path = "plugins/" + plugins[i].filename().string();
    file.size = bytes.str().size();
    file.sha256 = Sha256(bytes.str());
    members.push_back({file.path, bytes.str()});
  }
  manifest.format = kBundleFormat;
  manifest.abi = LM_ABI_VERSION;
  manifest.platform = ThisPlatform();
  members[0] = {kManifestName, ManifestJson(manifest).dump(2) + "\n"};
  std::string problem = WriteTar(out, members);
  return problem.empty() ? Status::Ok() : BundleError(out, problem);
}

Status SignBundle(const fs::path& path, const fs::path& secret_key_file) {
  if (sodium_init() < 0) return BundleError(path, "libsodium failed to initialise");
  std::ifstream key_in(secret_key_file);
  std::string key_hex;
  key_in >> key_hex;
  unsigned char secret[crypto_sign_SECRETKEYBYTES];
  if (!FromHex(key_hex, secret, sizeof(secret)))
    return Status::Error(ErrorKind::kUsage, secret_key_file.string() + ": not an ed25519 secret key (128 hex digits)");
  unsigned char public_key[crypto_sign_PUBLICKEYBYTES];
  crypto_sign_ed25519_sk_to_pk(public_key, secret);

  std::vector<TarMember> members;
  std::string problem = ReadTar(path, &members);
  if (!problem.empty()) return BundleError(path, problem);
  if (members.empty() || members.front().name != kManifestName)
    return BundleError(path, std::string("the first member must be ") + kManifestName);
  const std::string& manifest = members.front().bytes;
  unsigned char signature[crypto_sign_BYTES];
  crypto_sign_detached(signature, nullptr, reinterpret_cast<const unsigned char*>(manifest.data()), manifest.size(),
                       secret);
  sodium_memzero(secret, sizeof(secret));

  json signatures = json::array();
  auto existing = std::find_if(members.begin(), members.end(), [](const TarMember& m) { return m.name == kSignatureName; });
  const std::string key_text = Hex(public_key, sizeof(public_key));
  if (existing != members.end()) {
    json old = json::parse(existing->bytes, nullptr, false);
    if (old.is_object() && old.contains("signatures") && old["signatures"].is_array())
      for (const json& item : old["signatures"])
        if (item.value("public_key", "") != key_text) signatures.push_back(item);
    members.erase(existing);
  }
  signatures.push_back({{"algorithm", "ed25519"}, {"public_key", key_text}, {"signature", Hex(signature, sizeof(signature))}});
  members.insert(members.begin() + 1, {kSignatureName, json{{"format", 1}, {"signatures", signatures}}.dump(2) + "\n"});
  problem = WriteTar(path, members);
  return problem.empty() ? Status::Ok() : BundleError(path, problem);
}

Status GenerateKeyPair(const fs::path& prefix, std::string* public_key_hex) {
  if (sodium_init() < 0) return Status::Error(ErrorKind::kUsage, "libsodium failed to initialise");
  const fs::path public_path = prefix.string() + ".pub";
  const fs::path secret_path = prefix.string() + ".key";
  std::error_code error;
  if (fs::exists(public_path, error) || fs::exists(secret_path, error))
    return Status::Error(ErrorKind::kUsage, "refusing to overwrite " + public_path.string() + " or " +
                                                secret_path.string());
  unsigned char public_key[crypto_sign_PUBLICKEYBYTES];
  unsigned char secret[crypto_sign_SECRETKEYBYTES];
  crypto_sign_keypair(public_key, secret);
  *public_key_hex = Hex(public_key, sizeof(public_key));
  // Each key file is new (never an existing file, nor where a link at its
  // name leads) and whole; the secret is created 0600, so it is never
  // readable by others, not even for a moment.
  std::string secret_text = Hex(secret, sizeof(secret)) + "\n";
  sodium_memzero(secret, sizeof(secret));
  bool created = false;
  std::string problem = WriteFileAtomically(secret_path.native(), secret_text, 0600, Publish::kCreateOnly, &created);
  sodium_memzero(secret_text.data(), secret_text.size());
  if (problem.empty() && !created) problem = secret_path.string() + " exists already; not overwriting it";
  if (!problem.empty()) return Status::Error(ErrorKind::kUsage, "cannot write the secret key: " + problem);
  problem = WriteFileAtomically(public_path.native(), *public_key_hex + "\n", 0666, Publish::kCreateOnly, &created);
  if (problem.empty() && !created) problem = public_path.string() + " exists already; not overwriting it";
  if (!problem.empty()) {
    // Half a pair is no key: the secret goes too.
    fs::remove(secret_path, error);
    return Status::Error(ErrorKind::kUsage, "cannot write the public key: " + problem);
  }
  return Status::Ok();
}

}  // namespace lm
