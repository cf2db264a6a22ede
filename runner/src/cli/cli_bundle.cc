// `bundle create|inspect|verify|sign` and `keygen`: no config needed.
#include <algorithm>
#include <cctype>

#include "cli/bundle_tool.h"
#include "cli/cli_commands.h"
#include "config/config.h"

namespace lm {
namespace {

using nlohmann::json;

json BundleJson(const Bundle& bundle, const BundlePolicy& policy) {
  const BundleManifest& m = bundle.manifest;
  json files = json::array();
  for (const BundleFile& file : m.files) {
    json migrations = json::array();
    for (const BundleMigration& migration : file.migrations)
      migrations.push_back({{"version", migration.version}, {"name", migration.name}});
    files.push_back({{"path", file.path}, {"size", file.size}, {"sha256", file.sha256}, {"migrations", migrations}});
  }
  json signatures = json::array();
  for (const BundleSignature& signature : bundle.signatures)
    signatures.push_back({{"public_key", signature.public_key}, {"valid", signature.valid}});
  // ReadBundle refuses what fails verification (an invalid signature
  // included), so a printed bundle is verified and its signatures valid.
  return {{"path", bundle.path.string()},
          {"name", m.name},
          {"version", m.version},
          {"format", m.format},
          {"abi", m.abi},
          {"platform", m.platform},
          {"created_by", m.created_by},
          {"files", files},
          {"signatures", signatures},
          {"verified", true},
          {"signature", bundle.signatures.empty() ? "unsigned" : "signed"},
          {"trusted", !bundle.trusted_key.empty()},
          {"trusted_key", bundle.trusted_key.empty() ? json(nullptr) : json(bundle.trusted_key)},
          {"trusted_keys_required", !policy.required_keys.empty()}};
}

// What `verify` vouches for, in one line: the files, and whose signature.
void PrintVerified(const Bundle& bundle, std::FILE* out) {
  const BundleManifest& m = bundle.manifest;
  std::fprintf(out, "Verified: %s %s, %zu files match the manifest", m.name.c_str(), m.version.c_str(),
               m.files.size());
  if (!bundle.trusted_key.empty()) {
    std::fprintf(out, ", signed by a trusted key (%s).\n", bundle.trusted_key.c_str());
  } else if (bundle.signatures.empty()) {
    std::fprintf(out, "; unsigned (no --trusted-key given, so no signature was required).\n");
  } else {
    std::string keys;
    for (const BundleSignature& signature : bundle.signatures) keys += (keys.empty() ? "" : ", ") + signature.public_key;
    std::fprintf(out, "; signed by %s, a valid signature but not a trusted one (no --trusted-key given).\n",
                 keys.c_str());
  }
}

}  // namespace

int RunBundleCommand(const Invocation& inv, const CliOutput& io) {
  auto usage = [&io](const std::string& what) { return Fail(io, Status::Error(ErrorKind::kUsage, what)); };
  if (inv.command == "keygen") {
    if (inv.arguments.size() != 1) return usage("keygen takes one PREFIX (writes PREFIX.pub and PREFIX.key)");
    std::string public_key;
    Status status = GenerateKeyPair(inv.arguments[0], &public_key);
    if (!status.ok()) return Fail(io, status);
    std::fprintf(io.out, "Wrote %s.pub and %s.key (keep it secret). Public key:\n%s\n", inv.arguments[0].c_str(),
                 inv.arguments[0].c_str(), public_key.c_str());
    return 0;
  }
  const std::string action = inv.arguments.empty() ? "" : inv.arguments[0];
  if (action == "create") {
    if (inv.arguments.size() < 3) return usage("bundle create OUT PLUGIN|FOLDER... --name N --bundle-version V");
    std::vector<std::filesystem::path> inputs(inv.arguments.begin() + 2, inv.arguments.end());
    Status status = CreateBundle(inv.arguments[1], inputs, inv.bundle_name, inv.bundle_version, TrustPolicy{});
    if (!status.ok()) return Fail(io, status);
    std::fprintf(io.out, "Wrote bundle %s\n", inv.arguments[1].c_str());
    return 0;
  }
  if (action == "sign") {
    if (inv.arguments.size() != 2 || inv.secret_key.empty()) return usage("bundle sign FILE --secret-key KEYFILE");
    Status status = SignBundle(inv.arguments[1], inv.secret_key);
    if (!status.ok()) return Fail(io, status);
    std::fprintf(io.out, "Signed %s\n", inv.arguments[1].c_str());
    return 0;
  }
  if (action == "inspect" || action == "verify") {
    if (inv.arguments.size() != 2) return usage("bundle " + action + " FILE");
    BundlePolicy policy;
    if (!inv.config_file.empty()) {  // only for its "bundles" limits: the keys to trust are given here
      Config config;
      Status loaded = LoadConfig(inv.config_file, &config);
      if (!loaded.ok()) return Fail(io, loaded);
      policy.limits = config.bundles.limits;
    }
    for (std::string key : inv.trusted_keys) {
      std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
      policy.required_keys.insert(key);
    }
    Bundle bundle;
    Status status = ReadBundle(inv.arguments[1], policy, &bundle);
    if (!status.ok()) return Fail(io, status);
    if (io.json) {
      PrintJson(BundleJson(bundle, policy), io);
    } else if (action == "inspect") {
      PrintBundle(bundle, io.out);
    } else {
      PrintVerified(bundle, io.out);
    }
    return 0;
  }
  return usage("bundle takes create, inspect, verify or sign (see --help)");
}

}  // namespace lm
