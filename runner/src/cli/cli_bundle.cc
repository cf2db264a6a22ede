// `bundle create|inspect|verify|sign` and `keygen`: no config needed.
#include <algorithm>
#include <cctype>

#include "cli/bundle_tool.h"
#include "cli/cli_commands.h"

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
  // ReadBundle refuses what fails verification, so a printed bundle is verified.
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
          {"trusted_keys_required", !policy.required_keys.empty()}};
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
      std::fprintf(io.out, "Verified: %s %s, %zu files match the manifest%s.\n", bundle.manifest.name.c_str(),
                   bundle.manifest.version.c_str(), bundle.manifest.files.size(),
                   policy.required_keys.empty() ? "" : ", signed by a trusted key");
    }
    return 0;
  }
  return usage("bundle takes create, inspect, verify or sign (see --help)");
}

}  // namespace lm
