// Every way a bundle can be damaged or tampered with after `bundle create`:
// each is refused with exit 4 by `verify`, `inspect` and a migrate run alike,
// with one error line naming the bundle and the member at fault, and nothing
// in the bundle runs.
#include <functional>

#include "bundle_support.h"

namespace bundle_test {
namespace {

using nlohmann::json;

constexpr const char* kStepMember = "plugins/bundle_test_step_1.so";
constexpr const char* kPairMember = "plugins/bundle_test_pair.so";

class TamperTest : public BundleTest {
 protected:
  void SetUp() override {
    BundleTest::SetUp();
    good_ = MakeBundle(Dir() / "good.lmbundle", {plugin::kStep1, plugin::kPair});
    bad_ = Dir() / "bad.lmbundle";
  }

  // bad_: good_'s members after `edit`.
  void Tamper(const std::function<void(std::vector<Member>&)>& edit) {
    std::vector<Member> members = ReadMembers(good_);
    edit(members);
    WriteMembers(bad_, members);
  }

  // bad_: good_ with its manifest changed by `edit` (and re-serialised).
  void TamperManifest(const std::function<void(json&)>& edit) {
    Tamper([&](std::vector<Member>& members) {
      json manifest = json::parse(members[0].bytes);
      edit(manifest);
      members[0].bytes = manifest.dump(2) + "\n";
    });
  }

  // A migrate run from bad_ is refused before anything runs.
  ::testing::AssertionResult MigrateRefused(const std::vector<std::string>& needles, const json& trust = json()) {
    WriteConfig(json::array({bad_.string()}), trust.is_null() ? json::object() : json{{"trust", trust}});
    const ProcessResult up = LmConfig({"up"});
    if (up.out.find("bundle-step up") != std::string::npos)
      return ::testing::AssertionFailure() << "a step ran: " << up.Describe();
    if (fs::exists(Dir() / "state.json")) return ::testing::AssertionFailure() << "the store was opened";
    return Refused(up, 4, needles);
  }

  // verify, inspect (unless `inspect` is false) and a migrate run all refuse bad_.
  void ExpectRefusedEverywhere(std::vector<std::string> needles, bool inspect = true) {
    needles.insert(needles.begin(), bad_.string());
    EXPECT_TRUE(Refused(Lm({"bundle", "verify", bad_.string()}), 4, needles)) << "bundle verify";
    if (inspect) {
      EXPECT_TRUE(Refused(Lm({"bundle", "inspect", bad_.string()}), 4, needles)) << "bundle inspect";
    }
    EXPECT_TRUE(MigrateRefused(needles)) << "up";
  }

  // Signs `bundle` with a new key named `name`; returns its public key.
  std::string Sign(const fs::path& bundle, const std::string& name) {
    const fs::path prefix = Dir() / name;
    if (!fs::exists(prefix.string() + ".key")) {
      EXPECT_TRUE(Succeeded(Lm({"keygen", prefix.string()})));
    }
    EXPECT_TRUE(Succeeded(Lm({"bundle", "sign", bundle.string(), "--secret-key", prefix.string() + ".key"})));
    return ReadFile(prefix.string() + ".pub").substr(0, 64);
  }

  fs::path good_;
  fs::path bad_;
};

TEST_F(TamperTest, TheUntamperedBundleLoads) {
  bad_ = good_;
  WriteConfig(json::array({good_.string()}));
  ASSERT_TRUE(Succeeded(LmConfig({"up"})));
  EXPECT_EQ(Applied(), (std::vector<int64_t>{1, 10, 11}));
}

TEST_F(TamperTest, FlippedByteInAPlugin) {
  Tamper([](std::vector<Member>& members) {
    std::string& bytes = FindMember(members, kStepMember).bytes;
    bytes[bytes.size() / 2] ^= 0x01;
  });
  ExpectRefusedEverywhere({kStepMember, "SHA-256"});
}

TEST_F(TamperTest, FlippedByteInTheBundleFile) {
  // Editing the file's bytes in place, as damage on disk would: the tar
  // stays readable (its checksums cover headers only).
  std::string raw = ReadFile(good_);
  std::vector<Member> members = ReadMembers(good_);
  const std::string plugin = FindMember(members, kPairMember).bytes;
  const size_t at = raw.find(plugin);
  ASSERT_NE(at, std::string::npos);
  raw[at + plugin.size() / 3] ^= 0x40;
  WriteFile(bad_, raw);
  ExpectRefusedEverywhere({kPairMember, "SHA-256"});
}

TEST_F(TamperTest, PluginReplacedBySameSizedBytes) {
  Tamper([](std::vector<Member>& members) {
    std::string& bytes = FindMember(members, kStepMember).bytes;
    std::string other = ReadFile(plugin::kStep2);
    other.resize(bytes.size(), '\0');
    bytes = other;
  });
  ExpectRefusedEverywhere({kStepMember, "SHA-256"});
}

TEST_F(TamperTest, ManifestWithAnotherDigest) {
  TamperManifest([](json& manifest) { manifest["files"][0]["sha256"] = Sha256Hex(ReadFile(plugin::kStep2)); });
  ExpectRefusedEverywhere({kStepMember, "SHA-256"});
}

TEST_F(TamperTest, ManifestWithAnotherSize) {
  TamperManifest([](json& manifest) { manifest["files"][1]["size"] = manifest["files"][1]["size"].get<int>() + 1; });
  ExpectRefusedEverywhere({kPairMember, "the manifest says"});
}

// Found by the bundle_manifest fuzz target: reading a float out of int's
// range was undefined behaviour, and 4294967297 read as format 1.
TEST_F(TamperTest, ManifestFormatNotAnInt) {
  TamperManifest([](json& manifest) { manifest["format"] = 1e300; });
  ExpectRefusedEverywhere({"'format' must be an integer"});
  TamperManifest([](json& manifest) { manifest["format"] = 4294967297; });
  ExpectRefusedEverywhere({"'format' must be an integer"});
}

TEST_F(TamperTest, ManifestSizeNegative) {
  TamperManifest([](json& manifest) { manifest["files"][0]["size"] = -1; });
  ExpectRefusedEverywhere({"'size' must be an integer"});
}

TEST_F(TamperTest, ManifestListingOtherMigrations) {
  // The digests still match; only loading the plugin can tell that it does
  // not hold what the manifest says, so verify (which runs no code) passes.
  TamperManifest([](json& manifest) { manifest["files"][1]["migrations"][0]["name"] = "pair_ten"; });
  EXPECT_TRUE(Succeeded(Lm({"bundle", "verify", bad_.string()})));
  EXPECT_TRUE(MigrateRefused({bad_.string() + ":" + kPairMember, "other migrations than the bundle's manifest"}));
}

TEST_F(TamperTest, ManifestHidingAMigration) {
  TamperManifest([](json& manifest) { manifest["files"][1]["migrations"].erase(1); });
  EXPECT_TRUE(MigrateRefused({bad_.string() + ":" + kPairMember, "other migrations than the bundle's manifest"}));
}

TEST_F(TamperTest, ChangedManifestOfASignedBundle) {
  const std::string key = Sign(good_, "release");
  TamperManifest([](json& manifest) { manifest["version"] = "1.0.1"; });
  EXPECT_TRUE(Refused(Lm({"bundle", "verify", bad_.string(), "--trusted-key", key}), 4,
                      {bad_.string(), "does not match the manifest"}));
  EXPECT_TRUE(MigrateRefused({bad_.string(), "does not match the manifest"}, {{"bundle_keys", {key}}}));
  // A signature failing against its own key is tampering even when no key
  // is required: it is refused everywhere, not read as unsigned.
  ExpectRefusedEverywhere({"its signature by key " + key + " does not match the manifest"});
}

TEST_F(TamperTest, ManifestWhitespaceChangedOnASignedBundle) {
  // The signature covers the manifest's bytes, not its meaning.
  const std::string key = Sign(good_, "release");
  Tamper([](std::vector<Member>& members) { members[0].bytes += "\n"; });
  EXPECT_TRUE(MigrateRefused({bad_.string(), "does not match the manifest"}, {{"bundle_keys", {key}}}));
}

TEST_F(TamperTest, MissingFile) {
  Tamper([](std::vector<Member>& members) {
    std::erase_if(members, [](const Member& m) { return m.name == kPairMember; });
  });
  ExpectRefusedEverywhere({kPairMember, "missing"});
}

TEST_F(TamperTest, ExtraPlugin) {
  Tamper([](std::vector<Member>& members) { members.push_back({"plugins/extra.so", ReadFile(plugin::kStep2)}); });
  ExpectRefusedEverywhere({"plugins/extra.so", "does not list"});
}

TEST_F(TamperTest, ExtraFileOutsidePlugins) {
  Tamper([](std::vector<Member>& members) { members.insert(members.begin() + 1, {"README", "hello\n"}); });
  ExpectRefusedEverywhere({"README", "does not list"});
}

TEST_F(TamperTest, PluginListedTwice) {
  TamperManifest([](json& manifest) { manifest["files"].push_back(manifest["files"][0]); });
  ExpectRefusedEverywhere({kStepMember, "twice"});
}

TEST_F(TamperTest, MemberTwice) {
  Tamper([](std::vector<Member>& members) { members.push_back(members[1]); });
  ExpectRefusedEverywhere({kStepMember, "twice"});
}

TEST_F(TamperTest, UnsafeMemberName) {
  Tamper([](std::vector<Member>& members) { members.push_back({"plugins/../../evil.so", "x"}); });
  ExpectRefusedEverywhere({"evil.so", "unsafe"});
}

TEST_F(TamperTest, WrongPlatform) {
  // (Whether inspect should still describe another platform's bundle is
  // not settled, so it is not asserted here.)
  TamperManifest([](json& manifest) { manifest["platform"] = "linux-riscv64"; });
  ExpectRefusedEverywhere({"linux-riscv64"}, /*inspect=*/false);
}

TEST_F(TamperTest, WrongAbiInTheManifest) {
  TamperManifest([](json& manifest) { manifest["abi"] = 99; });
  ExpectRefusedEverywhere({"ABI 99"}, /*inspect=*/false);
}

TEST_F(TamperTest, PluginOfAnotherAbi) {
  // A consistent manifest (digest, size, migrations) around a plugin built
  // for ABI 99: the runner reads its descriptor's ABI before anything else.
  Tamper([](std::vector<Member>& members) {
    const std::string bytes = ReadFile(plugin::kWrongAbi);
    json manifest = json::parse(members[0].bytes);
    manifest["files"].push_back({{"path", "plugins/wrong_abi.so"},
                                 {"sha256", Sha256Hex(bytes)},
                                 {"size", bytes.size()},
                                 {"migrations", {{{"version", 50}, {"name", "from_the_future"}}}}});
    members[0].bytes = manifest.dump(2);
    members.push_back({"plugins/wrong_abi.so", bytes});
  });
  EXPECT_TRUE(Succeeded(Lm({"bundle", "verify", bad_.string()})));
  EXPECT_TRUE(MigrateRefused({bad_.string() + ":plugins/wrong_abi.so", "ABI 99"}));
}

TEST_F(TamperTest, UnknownFormat) {
  TamperManifest([](json& manifest) { manifest["format"] = 2; });
  ExpectRefusedEverywhere({"format 2"});
}

TEST_F(TamperTest, ManifestNotFirst) {
  Tamper([](std::vector<Member>& members) { std::swap(members[0], members[1]); });
  ExpectRefusedEverywhere({"manifest.json"});
}

TEST_F(TamperTest, ManifestNotJson) {
  Tamper([](std::vector<Member>& members) { members[0].bytes = "{\"format\": 1,"; });
  ExpectRefusedEverywhere({"manifest.json"});
}

TEST_F(TamperTest, ManifestMissingAKey) {
  TamperManifest([](json& manifest) { manifest["files"][0].erase("sha256"); });
  ExpectRefusedEverywhere({"manifest.json", "sha256"});
}

TEST_F(TamperTest, TruncatedBundle) {
  // Half a bundle, as a copy in progress leaves it.
  const std::string raw = ReadFile(good_);
  WriteFile(bad_, raw.substr(0, raw.size() / 2));
  ExpectRefusedEverywhere({});
}

TEST_F(TamperTest, NotATarArchive) {
  WriteFile(bad_, ReadFile(plugin::kStep1));
  ExpectRefusedEverywhere({});
}

TEST_F(TamperTest, EmptyFile) {
  WriteFile(bad_, "");
  ExpectRefusedEverywhere({});
}

// tar stops reading at the end-of-archive blocks, so bytes after them are
// covered by no digest and no signature: a signed bundle with anything but
// zeros there is refused, by verify with the signer's key as by a run that
// requires it.
TEST_F(TamperTest, JunkAfterTheEndOfASignedBundle) {
  const std::string key = Sign(good_, "release");
  const std::string raw = ReadFile(good_);
  WriteFile(bad_, raw + "junk");
  const std::vector<std::string> needles = {bad_.string(), "data after the end of the archive at byte " +
                                                               std::to_string(raw.size())};
  EXPECT_TRUE(Refused(Lm({"bundle", "verify", bad_.string(), "--trusted-key", key}), 4, needles));
  EXPECT_TRUE(Refused(Lm({"bundle", "verify", bad_.string()}), 4, needles));
  EXPECT_TRUE(MigrateRefused(needles, {{"bundle_keys", {key}}}));
}

TEST_F(TamperTest, MemberAppendedAfterTheEndOfASignedBundle) {
  const std::string key = Sign(good_, "release");
  const std::string raw = ReadFile(good_);
  const fs::path evil = Dir() / "evil.tar";
  WriteMembers(evil, {{"plugins/evil.so", ReadFile(plugin::kStep2)}});
  WriteFile(bad_, raw + ReadFile(evil));
  const std::vector<std::string> needles = {bad_.string(), "data after the end of the archive at byte " +
                                                               std::to_string(raw.size())};
  EXPECT_TRUE(Refused(Lm({"bundle", "verify", bad_.string(), "--trusted-key", key}), 4, needles));
  EXPECT_TRUE(Refused(Lm({"bundle", "inspect", bad_.string()}), 4, needles));
  EXPECT_TRUE(MigrateRefused(needles, {{"bundle_keys", {key}}}));
}

TEST_F(TamperTest, ZerosAfterTheEndOfASignedBundleAreStillTheEnd) {
  const std::string key = Sign(good_, "release");
  WriteFile(bad_, ReadFile(good_) + std::string(4096, '\0'));
  EXPECT_TRUE(Succeeded(Lm({"bundle", "verify", bad_.string(), "--trusted-key", key})));
}

TEST_F(TamperTest, BadSignature) {
  const std::string key = Sign(good_, "release");
  Tamper([](std::vector<Member>& members) {
    json sig = json::parse(FindMember(members, "manifest.sig").bytes);
    std::string text = sig["signatures"][0]["signature"];
    text[10] = text[10] == '0' ? '1' : '0';
    sig["signatures"][0]["signature"] = text;
    FindMember(members, "manifest.sig").bytes = sig.dump();
  });
  EXPECT_TRUE(Refused(Lm({"bundle", "verify", bad_.string(), "--trusted-key", key}), 4,
                      {bad_.string(), "does not match the manifest"}));
  EXPECT_TRUE(MigrateRefused({bad_.string(), "does not match the manifest"}, {{"bundle_keys", {key}}}));
  ExpectRefusedEverywhere({"its signature by key " + key + " does not match the manifest"});
}

TEST_F(TamperTest, SignatureFileNotJson) {
  Sign(good_, "release");
  Tamper([](std::vector<Member>& members) { FindMember(members, "manifest.sig").bytes = "{\"signatures\": ["; });
  ExpectRefusedEverywhere({"manifest.sig is damaged or tampered with"});
}

TEST_F(TamperTest, SignatureFileWithAKeyTwice) {
  Sign(good_, "release");
  Tamper([](std::vector<Member>& members) {
    // A second "signatures" key: which of the two counts must not be a guess.
    std::string& bytes = FindMember(members, "manifest.sig").bytes;
    bytes.insert(bytes.find('{') + 1, "\"signatures\": [], ");
  });
  ExpectRefusedEverywhere({"manifest.sig is damaged or tampered with", "$.signatures"});
}

TEST_F(TamperTest, SignatureEntriesOfTheWrongShape) {
  Sign(good_, "release");
  for (const json& entry : {json("a string"), json{{"public_key", 7}, {"signature", "00"}},
                            json{{"public_key", "not hex"}, {"signature", std::string(128, '0')}}}) {
    Tamper([&entry](std::vector<Member>& members) {
      FindMember(members, "manifest.sig").bytes = json{{"format", 1}, {"signatures", {entry}}}.dump();
    });
    ExpectRefusedEverywhere({"manifest.sig is damaged or tampered with"});
  }
}

TEST_F(TamperTest, SignatureCopiedFromAnotherBundle) {
  const fs::path other = MakeBundle(Dir() / "other.lmbundle", {plugin::kStep2});
  const std::string key = Sign(other, "release");
  Tamper([&other](std::vector<Member>& members) {
    std::vector<Member> signed_members = ReadMembers(other);
    members.insert(members.begin() + 1, FindMember(signed_members, "manifest.sig"));
  });
  EXPECT_TRUE(MigrateRefused({bad_.string(), "does not match the manifest"}, {{"bundle_keys", {key}}}));
  ExpectRefusedEverywhere({"its signature by key " + key + " does not match the manifest"});
}

TEST_F(TamperTest, SignatureByAnUnlistedKey) {
  const std::string stranger = Sign(good_, "stranger");
  ASSERT_TRUE(Succeeded(Lm({"keygen", (Dir() / "release").string()})));
  const std::string trusted = ReadFile(Dir() / "release.pub").substr(0, 64);
  bad_ = good_;
  EXPECT_TRUE(
      Refused(Lm({"bundle", "verify", bad_.string(), "--trusted-key", trusted}), 4, {bad_.string(), "not trust"}));
  EXPECT_TRUE(MigrateRefused({bad_.string(), "not trust"}, {{"bundle_keys", {trusted}}}));
  // The same bundle loads once its signer's key is listed.
  WriteConfig(json::array({good_.string()}), {{"trust", {{"bundle_keys", {trusted, stranger}}}}});
  EXPECT_TRUE(Succeeded(LmConfig({"up"})));
}

TEST_F(TamperTest, UnsignedBundleWhenTheConfigRequiresAKey) {
  ASSERT_TRUE(Succeeded(Lm({"keygen", (Dir() / "release").string()})));
  const std::string trusted = ReadFile(Dir() / "release.pub").substr(0, 64);
  bad_ = good_;
  EXPECT_TRUE(MigrateRefused({bad_.string(), "not signed"}, {{"bundle_keys", {trusted}}}));
}

TEST_F(TamperTest, SignatureRemovedFromASignedBundle) {
  const std::string key = Sign(good_, "release");
  Tamper([](std::vector<Member>& members) {
    std::erase_if(members, [](const Member& m) { return m.name == "manifest.sig"; });
  });
  EXPECT_TRUE(MigrateRefused({bad_.string(), "not signed"}, {{"bundle_keys", {key}}}));
}

}  // namespace
}  // namespace bundle_test
