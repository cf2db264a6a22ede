// The trust rules (docs/bundles.md): plugin files, their folders and bundle
// files others could change are refused as OpenSSH's StrictModes refuses
// keys; check_permissions relaxes that; allowed_sha256 and bundles_only
// narrow what plain folders may provide. CI runs as root: foreign ownership
// is a copy chowned to nobody.
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include "bundle_support.h"

namespace bundle_test {
namespace {

using nlohmann::json;

class TrustTest : public BundleTest {
 protected:
  // Dir()/migrations with step_1 (and step_2).
  fs::path Migrations() {
    const fs::path folder = Folder("migrations");
    step1_ = CopyTo(plugin::kStep1, folder / "step_1.so");
    step2_ = CopyTo(plugin::kStep2, folder / "step_2.so");
    return folder;
  }

  // The uid and gid of "nobody" (65534 when there is no such user).
  static uid_t Nobody() {
    const passwd* entry = getpwnam("nobody");
    return entry ? entry->pw_uid : 65534;
  }

  static bool Root() { return geteuid() == 0; }

  ::testing::AssertionResult UpRefused(const std::vector<std::string>& needles) {
    const ProcessResult up = LmConfig({"up"});
    if (up.out.find("bundle-step up") != std::string::npos)
      return ::testing::AssertionFailure() << "a step ran: " << up.Describe();
    return Refused(up, 4, needles);
  }

  fs::path step1_, step2_;
};

TEST_F(TrustTest, OwnFilesInOwnFoldersLoad) {
  WriteConfig(json::array({Migrations().string()}));
  ASSERT_TRUE(Succeeded(LmConfig({"up"})));
  EXPECT_EQ(Applied(), (std::vector<int64_t>{1, 2}));
}

TEST_F(TrustTest, WorldWritableFolderRefused) {
  const fs::path folder = Migrations();
  fs::permissions(folder, fs::perms(0777));
  WriteConfig(json::array({folder.string()}));
  EXPECT_TRUE(UpRefused({step1_.string(), folder.string() + " is writable by others", "0777", "chmod go-w"}));
  EXPECT_FALSE(fs::exists(Dir() / "state.json"));
}

TEST_F(TrustTest, StickyBitDoesNotMakeThePluginsOwnFolderAcceptable) {
  // Anyone may add files to a sticky folder, and every .so in it is loaded.
  const fs::path folder = Migrations();
  fs::permissions(folder, fs::perms(01777));
  WriteConfig(json::array({folder.string()}));
  EXPECT_TRUE(UpRefused({step1_.string(), folder.string() + " is writable by others", "1777"}));
}

// A sticky world-writable folder is shared on purpose (/tmp): the way out is
// to move the plugin or bundle into a folder of one's own, never to make
// the shared folder unwritable for everyone else.
TEST_F(TrustTest, RefusalInAStickyFolderDoesNotAdviseChmodOfIt) {
  const fs::path shared = Folder("shared");
  const fs::path bundle = MakeBundle(shared / "app.lmbundle", {plugin::kStep1});
  fs::permissions(shared, fs::perms(01777));
  WriteConfig(json::array({bundle.string()}));
  const ProcessResult up = LmConfig({"up"});
  EXPECT_TRUE(Refused(up, 4, {bundle.string(), shared.string() + " is writable by others"}));
  EXPECT_EQ(up.err.find("chmod go-w " + shared.string()), std::string::npos) << up.err;
}

TEST_F(TrustTest, WorldWritableFolderAboveRefused) {
  const fs::path parent = Folder("shared");
  const fs::path folder = parent / "migrations";
  fs::create_directories(folder);
  fs::permissions(folder, fs::perms(0755));
  const fs::path plugin = CopyTo(plugin::kStep1, folder / "step_1.so");
  fs::permissions(parent, fs::perms(0777));
  WriteConfig(json::array({folder.string()}));
  EXPECT_TRUE(UpRefused({plugin.string(), parent.string() + " is writable by others"}));
}

TEST_F(TrustTest, StickyFolderAboveAccepted) {
  // As /tmp: others cannot rename or replace what we own in it.
  const fs::path parent = Folder("shared");
  const fs::path folder = parent / "migrations";
  fs::create_directories(folder);
  fs::permissions(folder, fs::perms(0755));
  CopyTo(plugin::kStep1, folder / "step_1.so");
  fs::permissions(parent, fs::perms(01777));
  WriteConfig(json::array({folder.string()}));
  ASSERT_TRUE(Succeeded(LmConfig({"up"})));
}

TEST_F(TrustTest, WorldWritableFileRefused) {
  const fs::path folder = Migrations();
  fs::permissions(step2_, fs::perms(0666));
  WriteConfig(json::array({folder.string()}));
  EXPECT_TRUE(UpRefused({step2_.string() + ": " + step2_.string() + " is writable by others", "0666"}));
}

TEST_F(TrustTest, FileWritableByAnotherGroupRefused) {
  if (!Root()) {
    GTEST_SKIP() << "changing a file's group needs root; CI runs the suite as root, where this runs";
  }
  const fs::path folder = Migrations();
  ASSERT_EQ(chown(step2_.c_str(), static_cast<uid_t>(-1), 65534), 0);
  fs::permissions(step2_, fs::perms(0775));
  WriteConfig(json::array({folder.string()}));
  EXPECT_TRUE(UpRefused({step2_.string() + " is writable by its group", "0775"}));
}

TEST_F(TrustTest, ForeignOwnedFileRefused) {
  if (!Root()) {
    GTEST_SKIP() << "giving a file to another user needs root; CI runs the suite as root, where this runs";
  }
  const fs::path folder = Migrations();
  ASSERT_EQ(chown(step2_.c_str(), Nobody(), static_cast<gid_t>(-1)), 0);
  WriteConfig(json::array({folder.string()}));
  EXPECT_TRUE(UpRefused({step2_.string(), "owned by uid " + std::to_string(Nobody()), "chown"}));
}

TEST_F(TrustTest, ForeignOwnedFolderRefused) {
  if (!Root()) {
    GTEST_SKIP() << "giving a folder to another user needs root; CI runs the suite as root, where this runs";
  }
  const fs::path folder = Migrations();
  ASSERT_EQ(chown(folder.c_str(), Nobody(), static_cast<gid_t>(-1)), 0);
  WriteConfig(json::array({folder.string()}));
  EXPECT_TRUE(UpRefused({step1_.string(), folder.string() + " is owned by uid " + std::to_string(Nobody())}));
}

// The user-private-group scheme (useradd -U, umask 002): a folder writable
// by the group named like its owner is writable by the owner alone only
// while no other account has that group. The runner runs as the account
// `owner` the test makes; accounts are made with useradd and removed after.
class PrivateGroupTest : public TrustTest {
 protected:
  void SetUp() override {
    if (!Root()) GTEST_SKIP() << "making accounts needs root; CI runs the suite as root, where this runs";
    TrustTest::SetUp();
    owner_ = AddAccount("lm-owner-", {"-U"});
    const passwd* entry = getpwnam(owner_.c_str());
    ASSERT_NE(entry, nullptr) << owner_;
    as_owner_.run_as = StartOptions::Identity{entry->pw_uid, entry->pw_gid};
    // The owner's home for this test: its folder, with the config and the
    // store's file; the migrations folder writable by the owner's group.
    ASSERT_EQ(chown(Dir().c_str(), entry->pw_uid, entry->pw_gid), 0);
    fs::permissions(Dir(), fs::perms(0755));
    migrations_ = Migrations();
    for (const fs::path& path : {migrations_, step1_, step2_})
      ASSERT_EQ(chown(path.c_str(), entry->pw_uid, entry->pw_gid), 0);
    fs::permissions(migrations_, fs::perms(0775));
    WriteConfig(json::array({migrations_.string()}));
    ASSERT_EQ(chown((Dir() / "conf.json").c_str(), entry->pw_uid, entry->pw_gid), 0);
  }

  void TearDown() override {
    // Newest first: the owner's private group goes with the owner once no
    // other account has it; groupdel makes sure.
    for (auto name = accounts_.rbegin(); name != accounts_.rend(); ++name) Admin({"/usr/sbin/userdel", *name});
    if (!owner_.empty() && getgrnam(owner_.c_str()) != nullptr) Admin({"/usr/sbin/groupdel", owner_});
  }

  // Makes an account named `prefix` + this process's id, with no home.
  std::string AddAccount(const std::string& prefix, const std::vector<std::string>& options) {
    const std::string name = prefix + std::to_string(getpid());
    std::vector<std::string> argv{"/usr/sbin/useradd", "-M"};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.push_back(name);
    const ProcessResult made = Admin(argv);
    EXPECT_TRUE(made.exited(0)) << made.Describe();
    if (made.exited(0)) accounts_.push_back(name);
    return name;
  }

  ProcessResult Admin(const std::vector<std::string>& argv) { return lm::test::Run(argv, Dir() / ".admin"); }

  std::string owner_;
  fs::path migrations_;
  StartOptions as_owner_;

 private:
  std::vector<std::string> accounts_;
};

TEST_F(PrivateGroupTest, OwnPrivateGroupMayWrite) {
  const ProcessResult up = LmConfig({"up"}, as_owner_);
  ASSERT_TRUE(Succeeded(up));
  EXPECT_NE(up.out.find("bundle-step up 1"), std::string::npos) << up.Describe();
  EXPECT_NE(up.out.find("bundle-step up 2"), std::string::npos) << up.Describe();
}

TEST_F(PrivateGroupTest, GroupThatIsAnotherAccountsPrimaryGroupIsNotPrivate) {
  // useradd -N -g owner other: `other` is in no member list, yet can write
  // what the owner's group may.
  AddAccount("lm-other-", {"-N", "-g", owner_});
  const ProcessResult up = LmConfig({"up"}, as_owner_);
  EXPECT_TRUE(Refused(up, 4, {migrations_.string() + " is writable by its group", "0775", "chmod go-w"}));
  EXPECT_FALSE(fs::exists(Dir() / "state.json"));
}

TEST_F(PrivateGroupTest, GroupThatIsAnotherAccountsSupplementaryGroupIsNotPrivate) {
  AddAccount("lm-member-", {"-N", "-G", owner_});
  const ProcessResult status = LmConfig({"status"}, as_owner_);
  EXPECT_EQ(status.exit_code, 4) << status.Describe();
  EXPECT_NE(status.out.find(migrations_.string() + " is writable by its group"), std::string::npos)
      << status.Describe();
}

TEST_F(TrustTest, SymlinkIsCheckedWhereItLeads) {
  const fs::path loose = Folder("loose");
  const fs::path real = CopyTo(plugin::kStep1, loose / "step_1.so");
  fs::permissions(loose, fs::perms(0777));
  const fs::path folder = Folder("migrations");
  fs::create_symlink(real, folder / "step_1.so");
  WriteConfig(json::array({folder.string()}));
  EXPECT_TRUE(UpRefused({(folder / "step_1.so").string(), loose.string() + " is writable by others"}));
}

TEST_F(TrustTest, CheckPermissionsFalseRelaxesTheRules) {
  const fs::path folder = Migrations();
  fs::permissions(folder, fs::perms(0777));
  fs::permissions(step2_, fs::perms(0666));
  if (Root()) {
    ASSERT_EQ(chown(step1_.c_str(), Nobody(), static_cast<gid_t>(-1)), 0);
  }
  WriteConfig(json::array({folder.string()}), {{"trust", {{"check_permissions", false}}}});
  ASSERT_TRUE(Succeeded(LmConfig({"up"})));
  EXPECT_EQ(Applied(), (std::vector<int64_t>{1, 2}));
}

TEST_F(TrustTest, WorldWritableBundleRefused) {
  const fs::path bundle = MakeBundle(Folder("release") / "app.lmbundle", {plugin::kStep1});
  fs::permissions(bundle, fs::perms(0666));
  WriteConfig(json::array({bundle.string()}));
  EXPECT_TRUE(UpRefused({bundle.string() + " is writable by others"}));
}

TEST_F(TrustTest, BundleInAWorldWritableFolderRefused) {
  const fs::path release = Folder("release");
  const fs::path bundle = MakeBundle(release / "app.lmbundle", {plugin::kStep1});
  fs::permissions(release, fs::perms(0777));
  WriteConfig(json::array({bundle.string()}));
  EXPECT_TRUE(UpRefused({bundle.string(), release.string() + " is writable by others"}));
}

TEST_F(TrustTest, ForeignOwnedBundleRefused) {
  if (!Root()) {
    GTEST_SKIP() << "giving a file to another user needs root; CI runs the suite as root, where this runs";
  }
  const fs::path bundle = MakeBundle(Folder("release") / "app.lmbundle", {plugin::kStep1});
  ASSERT_EQ(chown(bundle.c_str(), Nobody(), static_cast<gid_t>(-1)), 0);
  WriteConfig(json::array({bundle.string()}));
  EXPECT_TRUE(UpRefused({bundle.string(), "owned by uid " + std::to_string(Nobody())}));
}

TEST_F(TrustTest, AllowedSha256AcceptsListedPlugins) {
  const fs::path folder = Migrations();
  std::string upper = Sha256Hex(ReadFile(step2_));
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  WriteConfig(json::array({folder.string()}),
              {{"trust", {{"allowed_sha256", {Sha256Hex(ReadFile(step1_)), "sha256:" + upper}}}}});
  ASSERT_TRUE(Succeeded(LmConfig({"up"})));
  EXPECT_EQ(Applied(), (std::vector<int64_t>{1, 2}));
}

TEST_F(TrustTest, AllowedSha256RefusesAnUnlistedPlugin) {
  const fs::path folder = Migrations();
  WriteConfig(json::array({folder.string()}), {{"trust", {{"allowed_sha256", {Sha256Hex(ReadFile(step1_))}}}}});
  EXPECT_TRUE(UpRefused({step2_.string(), Sha256Hex(ReadFile(step2_)), "allowed_sha256"}));
  EXPECT_FALSE(fs::exists(Dir() / "state.json"));
}

TEST_F(TrustTest, AllowedSha256RefusesAChangedPlugin) {
  const fs::path folder = Migrations();
  WriteConfig(json::array({folder.string()}),
              {{"trust", {{"allowed_sha256", {Sha256Hex(ReadFile(step1_)), Sha256Hex(ReadFile(step2_))}}}}});
  CopyTo(plugin::kStep3, step2_);  // a rebuild dropped in under the old name
  EXPECT_TRUE(UpRefused({step2_.string(), "allowed_sha256"}));
}

TEST_F(TrustTest, AllowedSha256MustBeHex) {
  WriteConfig(json::array({Migrations().string()}), {{"trust", {{"allowed_sha256", {"not-a-digest"}}}}});
  EXPECT_TRUE(Refused(LmConfig({"up"}), 3, {(Dir() / "conf.json").string(), "trust.allowed_sha256[0]"}));
}

TEST_F(TrustTest, BundlesOnlyRefusesAPlainFolder) {
  const fs::path folder = Migrations();
  WriteConfig(json::array({folder.string()}), {{"trust", {{"bundles_only", true}}}});
  EXPECT_TRUE(UpRefused({step1_.string(), "bundles_only"}));
}

TEST_F(TrustTest, BundlesOnlyAcceptsABundle) {
  const fs::path bundle = MakeBundle(Dir() / "app.lmbundle", {plugin::kStep1, plugin::kStep2});
  WriteConfig(json::array({bundle.string()}), {{"trust", {{"bundles_only", true}}}});
  ASSERT_TRUE(Succeeded(LmConfig({"up"})));
  EXPECT_EQ(Applied(), (std::vector<int64_t>{1, 2}));
}

TEST_F(TrustTest, BundleKeysMustBePublicKeys) {
  WriteConfig(json::array({Migrations().string()}), {{"trust", {{"bundle_keys", {"abc"}}}}});
  EXPECT_TRUE(Refused(LmConfig({"up"}), 3, {(Dir() / "conf.json").string(), "trust.bundle_keys[0]"}));
}

TEST_F(TrustTest, UnknownTrustKey) {
  WriteConfig(json::array({Migrations().string()}), {{"trust", {{"check_permission", false}}}});
  EXPECT_TRUE(Refused(LmConfig({"up"}), 3, {"trust.check_permission"}));
}

TEST_F(TrustTest, StorePluginInAWorldWritableFolderRefused) {
  const fs::path stores = Folder("stores");
  const fs::path store = CopyTo(kJsonFileStore, stores / "my-store.so");
  fs::permissions(stores, fs::perms(0777));
  WriteConfig(json::array({Migrations().string()}),
              {{"plugin_path", json::array({"stores"})},
               {"store", {{"plugin", "my-store"}, {"options", {{"path", "state.json"}}}}}});
  EXPECT_TRUE(UpRefused({store.string(), stores.string() + " is writable by others"}));
}

TEST_F(TrustTest, ForeignOwnedStorePluginRefused) {
  if (!Root()) {
    GTEST_SKIP() << "giving a file to another user needs root; CI runs the suite as root, where this runs";
  }
  const fs::path store = CopyTo(kJsonFileStore, Folder("stores") / "my-store.so");
  ASSERT_EQ(chown(store.c_str(), Nobody(), static_cast<gid_t>(-1)), 0);
  WriteConfig(json::array({Migrations().string()}),
              {{"plugin_path", json::array({"stores"})},
               {"store", {{"plugin", "my-store"}, {"options", {{"path", "state.json"}}}}}});
  EXPECT_TRUE(UpRefused({store.string(), "owned by uid " + std::to_string(Nobody())}));
}

}  // namespace
}  // namespace bundle_test
