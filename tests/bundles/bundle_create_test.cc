// Bundles that are sound: made by `bundle create`, by the CMake helper, by
// hand from docs/bundles.md (test-side tar writer, GNU tar), signed or not;
// inspected, verified and migrated from. Also what `bundle create` refuses.
#include <sys/stat.h>
#include <unistd.h>

#include "bundle_support.h"

namespace bundle_test {
namespace {

using nlohmann::json;

class BundleCreateTest : public BundleTest {};

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST_F(BundleCreateTest, RoundTrip) {
  const fs::path bundle = MakeBundle(Folder("release") / "app.lmbundle", {plugin::kStep1, plugin::kPair}, "app", "2.0");

  const ProcessResult inspect = Lm({"bundle", "inspect", bundle.string()});
  ASSERT_TRUE(Succeeded(inspect));
  EXPECT_TRUE(Contains(inspect.out, "Bundle app 2.0")) << inspect.out;
  EXPECT_TRUE(Contains(inspect.out, "plugins/bundle_test_step_1.so")) << inspect.out;
  EXPECT_TRUE(Contains(inspect.out, "plugins/bundle_test_pair.so")) << inspect.out;
  EXPECT_TRUE(Contains(inspect.out, "sha256:" + Sha256Hex(ReadFile(plugin::kStep1)))) << inspect.out;
  for (const char* name : {"step_1", "pair_10", "pair_11"}) EXPECT_TRUE(Contains(inspect.out, name)) << inspect.out;
  EXPECT_TRUE(Contains(inspect.out, "2 files, 3 migrations")) << inspect.out;
  EXPECT_TRUE(Contains(inspect.out, "unsigned")) << inspect.out;

  const ProcessResult verify = Lm({"bundle", "verify", bundle.string()});
  ASSERT_TRUE(Succeeded(verify));
  EXPECT_TRUE(Contains(verify.out, "Verified: app 2.0, 2 files")) << verify.out;

  WriteConfig(json::array({bundle.string()}));
  const ProcessResult up = LmConfig({"up"});
  ASSERT_TRUE(Succeeded(up));
  for (const char* line : {"bundle-step up 1", "bundle-step up 10", "bundle-step up 11"})
    EXPECT_TRUE(Contains(up.out, line)) << up.out;
  EXPECT_EQ(Applied(), (std::vector<int64_t>{1, 10, 11}));

  const ProcessResult down = LmConfig({"down", "--steps", "1"});
  ASSERT_TRUE(Succeeded(down));
  EXPECT_TRUE(Contains(down.out, "bundle-step down 11")) << down.out;
  EXPECT_EQ(Applied(), (std::vector<int64_t>{1, 10}));
}

TEST_F(BundleCreateTest, ManifestIsFirstAndDescribesEveryFile) {
  const fs::path bundle = MakeBundle(Dir() / "app.lmbundle", {plugin::kStep1, plugin::kPair});
  std::vector<Member> members = ReadMembers(bundle);
  ASSERT_EQ(members.size(), 3u);
  EXPECT_EQ(members[0].name, "manifest.json");
  const json manifest = json::parse(members[0].bytes);
  EXPECT_EQ(manifest["format"], 1);
  EXPECT_EQ(manifest["name"], "demo");
  EXPECT_EQ(manifest["version"], "1.0.0");
  EXPECT_EQ(manifest["abi"], 1);
  ASSERT_EQ(manifest["files"].size(), 2u);
  for (const json& file : manifest["files"]) {
    const Member& member = FindMember(members, file["path"].get<std::string>());
    EXPECT_EQ(file["sha256"], Sha256Hex(member.bytes));
    EXPECT_EQ(file["size"], member.bytes.size());
  }
  EXPECT_EQ(members[1].bytes, ReadFile(plugin::kStep1));
}

TEST_F(BundleCreateTest, FromFolderSkipsPartialCopies) {
  const fs::path build = Folder("build");
  CopyTo(plugin::kStep1, build / "step_1.so");
  CopyTo(plugin::kStep2, build / "step_2.so");
  const std::string half = ReadFile(plugin::kStep3).substr(0, 5000);
  WriteFile(build / "step_3.so.part", half);
  WriteFile(build / ".step_3.so", half);
  const fs::path bundle = MakeBundle(Dir() / "app.lmbundle", {build});

  std::vector<std::string> names;
  for (const Member& member : ReadMembers(bundle)) names.push_back(member.name);
  EXPECT_EQ(names, (std::vector<std::string>{"manifest.json", "plugins/step_1.so", "plugins/step_2.so"}));
}

TEST_F(BundleCreateTest, MigrationsOptionReplacesTheConfigs) {
  const fs::path folder = Folder("migrations");
  CopyTo(plugin::kStep2, folder / "step_2.so");
  WriteConfig(json::array({folder.string()}));
  const fs::path bundle = MakeBundle(Dir() / "app.lmbundle", {plugin::kStep1});

  const ProcessResult up = LmConfig({"-m", bundle.string(), "up"});
  ASSERT_TRUE(Succeeded(up));
  EXPECT_TRUE(Contains(up.out, "bundle-step up 1")) << up.out;
  EXPECT_FALSE(Contains(up.out, "bundle-step up 2")) << up.out;
  EXPECT_EQ(Applied(), std::vector<int64_t>{1});
}

TEST_F(BundleCreateTest, SignedRoundTrip) {
  const fs::path bundle = MakeBundle(Dir() / "app.lmbundle", {plugin::kStep1});
  const ProcessResult keygen = Lm({"keygen", (Dir() / "release").string()});
  ASSERT_TRUE(Succeeded(keygen));
  const std::string public_key = ReadFile(Dir() / "release.pub").substr(0, 64);
  struct stat info {};
  ASSERT_EQ(stat((Dir() / "release.key").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_TRUE(Contains(keygen.out, public_key));

  ASSERT_TRUE(Succeeded(Lm({"bundle", "sign", bundle.string(), "--secret-key", (Dir() / "release.key").string()})));
  const ProcessResult inspect = Lm({"bundle", "inspect", bundle.string()});
  ASSERT_TRUE(Succeeded(inspect));
  EXPECT_TRUE(Contains(inspect.out, "signed by " + public_key + ": valid")) << inspect.out;
  const ProcessResult verify = Lm({"bundle", "verify", bundle.string(), "--trusted-key", public_key});
  ASSERT_TRUE(Succeeded(verify));
  EXPECT_TRUE(Contains(verify.out, "signed by a trusted key")) << verify.out;

  // A second signature keeps the first; either key is then enough.
  ASSERT_TRUE(Succeeded(Lm({"keygen", (Dir() / "ops").string()})));
  const std::string ops_key = ReadFile(Dir() / "ops.pub").substr(0, 64);
  ASSERT_TRUE(Succeeded(Lm({"bundle", "sign", bundle.string(), "--secret-key", (Dir() / "ops.key").string()})));
  std::vector<Member> members = ReadMembers(bundle);
  EXPECT_EQ(members[1].name, "manifest.sig");
  EXPECT_EQ(json::parse(FindMember(members, "manifest.sig").bytes)["signatures"].size(), 2u);

  WriteConfig(json::array({bundle.string()}), {{"trust", {{"bundle_keys", json::array({ops_key})}}}});
  ASSERT_TRUE(Succeeded(LmConfig({"up"})));
  EXPECT_EQ(Applied(), std::vector<int64_t>{1});
}

// verify says which it checked: an unsigned bundle, a valid signature by a
// key it was not asked to trust, or a trusted key's signature.
TEST_F(BundleCreateTest, VerifySaysWhoSignedIt) {
  const fs::path bundle = MakeBundle(Dir() / "app.lmbundle", {plugin::kStep1}, "app", "2.0");
  auto verify_json = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"bundle", "verify", bundle.string(), "-o", "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    const ProcessResult result = Lm(args);
    EXPECT_TRUE(Succeeded(result));
    return json::parse(result.out);
  };

  ProcessResult verify = Lm({"bundle", "verify", bundle.string()});
  ASSERT_TRUE(Succeeded(verify));
  EXPECT_TRUE(Contains(verify.out, "Verified: app 2.0, 1 files match the manifest; unsigned")) << verify.out;
  json document = verify_json({});
  EXPECT_EQ(document["signature"], "unsigned");
  EXPECT_EQ(document["trusted"], false);
  EXPECT_EQ(document["trusted_key"], nullptr);

  ASSERT_TRUE(Succeeded(Lm({"keygen", (Dir() / "release").string()})));
  const std::string key = ReadFile(Dir() / "release.pub").substr(0, 64);
  ASSERT_TRUE(Succeeded(Lm({"bundle", "sign", bundle.string(), "--secret-key", (Dir() / "release.key").string()})));
  verify = Lm({"bundle", "verify", bundle.string()});
  ASSERT_TRUE(Succeeded(verify));
  EXPECT_TRUE(Contains(verify.out, "; signed by " + key + ", a valid signature but not a trusted one")) << verify.out;
  document = verify_json({});
  EXPECT_EQ(document["signature"], "signed");
  EXPECT_EQ(document["trusted"], false);
  EXPECT_EQ(document["signatures"], json::array({{{"public_key", key}, {"valid", true}}}));

  verify = Lm({"bundle", "verify", bundle.string(), "--trusted-key", key});
  ASSERT_TRUE(Succeeded(verify));
  EXPECT_TRUE(Contains(verify.out, ", signed by a trusted key (" + key + ").")) << verify.out;
  document = verify_json({"--trusted-key", key});
  EXPECT_EQ(document["signature"], "signed");
  EXPECT_EQ(document["trusted"], true);
  EXPECT_EQ(document["trusted_key"], key);
}

TEST_F(BundleCreateTest, KeygenRefusesToOverwrite) {
  ASSERT_TRUE(Succeeded(Lm({"keygen", (Dir() / "release").string()})));
  const std::string secret = ReadFile(Dir() / "release.key");
  const ProcessResult again = Lm({"keygen", (Dir() / "release").string()});
  EXPECT_TRUE(Refused(again, 2, {(Dir() / "release").string()}));
  EXPECT_EQ(ReadFile(Dir() / "release.key"), secret);
}

// docs/bundles.md is enough to make a bundle without link-migration.
json ManifestFor(const std::vector<std::pair<std::string, fs::path>>& files) {
  json list = json::array();
  for (const auto& [path, plugin] : files) {
    const std::string bytes = ReadFile(plugin);
    json migrations = json::array();
    if (plugin == plugin::kStep1) migrations.push_back({{"version", 1}, {"name", "step_1"}});
    if (plugin == plugin::kStep2) migrations.push_back({{"version", 2}, {"name", "step_2"}});
    list.push_back({{"path", path}, {"sha256", Sha256Hex(bytes)}, {"size", bytes.size()}, {"migrations", migrations}});
  }
  return {{"format", 1}, {"name", "by-hand"},          {"version", "7"},
          {"abi", 1},    {"platform", "linux-x86_64"}, {"files", list}};
}

TEST_F(BundleCreateTest, BundleWrittenFromTheSpecification) {
  const json manifest = ManifestFor({{"plugins/one.so", plugin::kStep1}, {"plugins/two.so", plugin::kStep2}});
  const fs::path bundle = Dir() / "by-hand.lmbundle";
  WriteMembers(bundle, {{"manifest.json", manifest.dump()},
                        {"plugins/one.so", ReadFile(plugin::kStep1)},
                        {"plugins/two.so", ReadFile(plugin::kStep2)}});
  ASSERT_TRUE(Succeeded(Lm({"bundle", "verify", bundle.string()})));
  WriteConfig(json::array({bundle.string()}));
  ASSERT_TRUE(Succeeded(LmConfig({"up"})));
  EXPECT_EQ(Applied(), (std::vector<int64_t>{1, 2}));
}

TEST_F(BundleCreateTest, BundleWrittenWithGnuTar) {
  // tar is an Essential package on Debian: its absence is a broken machine, not a reason to skip.
  const fs::path tar = fs::exists("/usr/bin/tar") ? "/usr/bin/tar" : "/bin/tar";
  ASSERT_TRUE(fs::exists(tar)) << "GNU tar is missing";
  const fs::path staging = Folder("staging");
  CopyTo(plugin::kStep1, staging / "plugins" / "one.so");
  WriteFile(staging / "manifest.json", ManifestFor({{"plugins/one.so", plugin::kStep1}}).dump(2) + "\n");
  const fs::path bundle = Dir() / "tar-made.lmbundle";
  const ProcessResult made =
      lm::test::Run({tar.string(), "--format=ustar", "--owner=0", "--group=0", "--numeric-owner", "-cf", bundle.string(),
                     "-C", staging.string(), "manifest.json", "plugins/one.so"},
                    Dir() / ".runs");
  ASSERT_TRUE(Succeeded(made));
  ASSERT_TRUE(Succeeded(Lm({"bundle", "verify", bundle.string()})));
  WriteConfig(json::array({bundle.string()}));
  ASSERT_TRUE(Succeeded(LmConfig({"up"})));
  EXPECT_EQ(Applied(), std::vector<int64_t>{1});
}

TEST_F(BundleCreateTest, CMakeHelperBuildsABundle) {
  const ProcessResult inspect = Lm({"bundle", "inspect", kHelperBundle.string()});
  ASSERT_TRUE(Succeeded(inspect));
  EXPECT_TRUE(Contains(inspect.out, "Bundle helper-made 1.2.3")) << inspect.out;
  EXPECT_TRUE(Contains(inspect.out, "2 files, 3 migrations")) << inspect.out;

  const fs::path bundle = CopyTo(kHelperBundle, Dir() / "helper.lmbundle", fs::perms(0644));
  WriteConfig(json::array({bundle.string()}));
  ASSERT_TRUE(Succeeded(LmConfig({"up"})));
  EXPECT_EQ(Applied(), (std::vector<int64_t>{1, 10, 11}));
}

TEST_F(BundleCreateTest, ExampleDemoRunsFromItsBundle) {
  const fs::path demo = Folder("demo");
  CopyTo(kExampleDir / "conf-bundle.json", demo / "conf-bundle.json", fs::perms(0644));
  CopyTo(kExampleDir / "bookshop.lmbundle", demo / "bookshop.lmbundle", fs::perms(0644));
  const std::string config = (demo / "conf-bundle.json").string();
  const ProcessResult up = Lm({"-c", config, "--up"});
  ASSERT_TRUE(Succeeded(up));
  const ProcessResult current = Lm({"-c", config, "current"});
  ASSERT_TRUE(Succeeded(current));
  EXPECT_EQ(current.out, "9\n");
  EXPECT_TRUE(fs::exists(demo / "demo-bundle.db"));
}

TEST_F(BundleCreateTest, SameVersionFromBundleAndFolderIsADuplicate) {
  const fs::path bundle = MakeBundle(Dir() / "app.lmbundle", {plugin::kStep1});
  const fs::path folder = Folder("hotfix");
  const fs::path copy = CopyTo(plugin::kStep1, folder / "step_1_again.so");
  WriteConfig(json::array({bundle.string(), folder.string()}));
  EXPECT_TRUE(
      Refused(LmConfig({"up"}), 4,
              {"duplicate migration version 1", bundle.string() + ":plugins/bundle_test_step_1.so", copy.string()}));
  EXPECT_FALSE(fs::exists(Dir() / "state.json"));
}

TEST_F(BundleCreateTest, SameVersionInTwoBundlesIsADuplicate) {
  const fs::path first = MakeBundle(Dir() / "first.lmbundle", {plugin::kStep1});
  const fs::path second = MakeBundle(Dir() / "second.lmbundle", {plugin::kStep1, plugin::kStep2});
  WriteConfig(json::array({first.string(), second.string()}));
  EXPECT_TRUE(Refused(LmConfig({"up"}), 4, {"duplicate migration version 1", first.string(), second.string()}));
}

TEST_F(BundleCreateTest, CreateRefusesAPluginThatDoesNotLoad) {
  const fs::path half = Dir() / "half.so";
  WriteFile(half, ReadFile(plugin::kStep2).substr(0, 4000));
  fs::permissions(half, fs::perms(0755));
  const fs::path out = Dir() / "app.lmbundle";
  EXPECT_TRUE(Refused(Lm({"bundle", "create", out.string(), "--name", "a", "--bundle-version", "1",
                          plugin::kStep1.string(), half.string()}),
                      4, {half.string()}));
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(out.string() + ".part"));
}

TEST_F(BundleCreateTest, CreateNeedsANameAndVersion) {
  const fs::path out = Dir() / "app.lmbundle";
  EXPECT_TRUE(Refused(Lm({"bundle", "create", out.string(), plugin::kStep1.string()}), 2, {"--name"}));
  EXPECT_FALSE(fs::exists(out));
}

// Two plugins with the same file name from different folders would be two
// members with one name: a bundle no reader accepts. create must refuse.
TEST_F(BundleCreateTest, CreateRefusesTwoPluginsWithOneFileName) {
  const fs::path a = CopyTo(plugin::kStep1, Folder("a") / "x.so");
  const fs::path b = CopyTo(plugin::kStep2, Folder("b") / "x.so");
  const fs::path out = Dir() / "app.lmbundle";
  const ProcessResult made =
      Lm({"bundle", "create", out.string(), "--name", "a", "--bundle-version", "1", a.string(), b.string()});
  EXPECT_TRUE(Refused(made, 2, {"x.so"}));
  EXPECT_FALSE(fs::exists(out)) << "create wrote a bundle that cannot be read: "
                                << Lm({"bundle", "verify", out.string()}).err;
}

// A bundle is verified and loaded in memory: nothing is unpacked to disk.
TEST_F(BundleCreateTest, LoadingABundleWritesNoFiles) {
  const fs::path release = Folder("release");
  const fs::path bundle = MakeBundle(release / "app.lmbundle", {plugin::kStep1, plugin::kPair});
  const fs::path tmp = Folder("tmp");
  WriteConfig(json::array({bundle.string()}));
  StartOptions fresh_tmp;
  fresh_tmp.env = {{"TMPDIR", tmp.string()}};
  const std::vector<std::string> release_before = Listing(release);

  ASSERT_TRUE(Succeeded(Lm({"bundle", "inspect", bundle.string()}, fresh_tmp)));
  ASSERT_TRUE(Succeeded(Lm({"bundle", "verify", bundle.string()}, fresh_tmp)));
  ASSERT_TRUE(Succeeded(LmConfig({"status"}, fresh_tmp)));
  ASSERT_TRUE(Succeeded(LmConfig({"up"}, fresh_tmp)));
  ASSERT_TRUE(Succeeded(LmConfig({"down"}, fresh_tmp)));

  EXPECT_EQ(Listing(tmp), std::vector<std::string>{});
  EXPECT_EQ(Listing(release), release_before);
}

// While a step runs, its code is mapped from the sealed memory file, not
// from any file on disk; from a plain folder, from the file itself.
TEST_F(BundleCreateTest, BundlePluginsRunFromMemory) {
  const fs::path bundle = MakeBundle(Dir() / "app.lmbundle", {plugin::kWhere});
  WriteConfig(json::array({bundle.string()}));
  const ProcessResult from_bundle = LmConfig({"up"});
  ASSERT_TRUE(Succeeded(from_bundle));
  EXPECT_TRUE(Contains(from_bundle.out, "code mapped from /memfd:link-migration-plugin")) << from_bundle.out;

  const fs::path folder = Folder("migrations");
  const fs::path file = CopyTo(plugin::kWhere, folder / "where.so");
  const ProcessResult from_folder = LmConfig({"-m", folder.string(), "down"});
  ASSERT_TRUE(Succeeded(from_folder));
  EXPECT_TRUE(Contains(from_folder.out, "code mapped from " + file.string())) << from_folder.out;
}

}  // namespace
}  // namespace bundle_test
