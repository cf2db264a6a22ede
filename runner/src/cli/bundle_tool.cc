#include "cli/bundle_tool.h"

#include <map>

#include "catalog/catalog.h"
#include "catalog/discovery.h"

#ifndef LM_RUNNER_VERSION
#define LM_RUNNER_VERSION "0.0.0"
#endif

namespace lm {

namespace fs = std::filesystem;

Status CreateBundle(const fs::path& out, const std::vector<fs::path>& inputs, const std::string& name,
                    const std::string& version, const TrustPolicy& trust) {
  if (name.empty() || version.empty())
    return Status::Error(ErrorKind::kUsage, "a bundle needs --name and --bundle-version");
  std::vector<MigrationSource> sources;
  for (const fs::path& input : inputs) {
    std::error_code error;
    if (fs::is_directory(input, error)) {
      LM_RETURN_IF_ERROR(DiscoverMigrationSources({input}, &sources));
    } else if (fs::is_regular_file(input, error)) {
      sources.push_back({input.native(), /*is_bundle=*/false});
    } else {
      return Status::Error(ErrorKind::kUsage, input.string() + ": no such plugin file or folder");
    }
  }
  if (sources.empty()) return Status::Error(ErrorKind::kUsage, "no plugin files to bundle");
  // Members are named by file name alone, so two plugins must not share one.
  std::map<std::string, std::string> by_name;
  for (const MigrationSource& source : sources) {
    const std::string file_name = fs::path(source.path).filename().string();
    auto [seen, added] = by_name.emplace(file_name, source.path);
    if (!added)
      return Status::Error(ErrorKind::kUsage, "two plugins are named " + file_name + " (" + seen->second + " and " +
                                                  source.path + "); a bundle holds plugins by file name: rename one");
  }
  Catalog catalog;
  LM_RETURN_IF_ERROR(LoadCatalog(sources, trust, BundlePolicy{}, &catalog));
  LM_RETURN_IF_ERROR(catalog.Usable());  // a bundle is made of plugins that all read well

  std::map<std::string, std::vector<BundleMigration>> by_file;
  for (const Migration& migration : catalog.migrations())
    by_file[migration.file].push_back({migration.version, migration.name});
  BundleManifest manifest;
  manifest.name = name;
  manifest.version = version;
  manifest.created_by = std::string("link-migration ") + LM_RUNNER_VERSION;
  std::vector<fs::path> plugins;
  for (const MigrationSource& source : sources) {
    plugins.emplace_back(source.path);
    BundleFile file;
    file.migrations = by_file[source.path];
    manifest.files.push_back(std::move(file));
  }
  return WriteBundle(out, plugins, std::move(manifest));
}

void PrintBundle(const Bundle& bundle, std::FILE* out) {
  const BundleManifest& m = bundle.manifest;
  std::fprintf(out, "Bundle %s %s (%s)\n", m.name.c_str(), m.version.c_str(), bundle.path.string().c_str());
  std::fprintf(out, "  format %d, plugin ABI %u, platform %s, created by %s\n", m.format, m.abi, m.platform.c_str(),
               m.created_by.c_str());
  size_t migrations = 0;
  for (const BundleFile& file : m.files) {
    std::fprintf(out, "  %-40s %10llu bytes  sha256:%s\n", file.path.c_str(),
                 static_cast<unsigned long long>(file.size), file.sha256.c_str());
    for (const BundleMigration& migration : file.migrations) {
      std::fprintf(out, "      %10lld  %s\n", static_cast<long long>(migration.version), migration.name.c_str());
      ++migrations;
    }
  }
  std::fprintf(out, "  %zu file%s, %zu migration%s\n", m.files.size(), m.files.size() == 1 ? "" : "s", migrations,
               migrations == 1 ? "" : "s");
  if (bundle.signatures.empty()) std::fprintf(out, "  unsigned\n");
  // ReadBundle refuses a bundle with an invalid signature: these are all valid.
  for (const BundleSignature& signature : bundle.signatures)
    std::fprintf(out, "  signed by %s: valid%s\n", signature.public_key.c_str(),
                 signature.public_key == bundle.trusted_key ? ", a trusted key" : "");
}

}  // namespace lm
