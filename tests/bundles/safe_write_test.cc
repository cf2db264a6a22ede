// What the runner writes (bundles, keys) goes through a new file of its
// own, created exclusively beside the output and renamed into place: a link
// planted at the old ".part" name, or at the output's own name, is never
// written through; a write that fails leaves neither a partial output nor a
// temporary file; a secret key is 0600 whatever the umask.
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "bundle_support.h"

namespace bundle_test {
namespace {

class SafeWriteTest : public BundleTest {
 protected:
  // A file someone wants overwritten, and a link to it planted at `name`.
  fs::path PlantLink(const fs::path& name) {
    const fs::path victim = Dir() / "victim";
    if (!fs::exists(victim)) WriteFile(victim, kPrecious);
    fs::create_symlink(victim, name);
    return victim;
  }

  // Names in `folder` a writer left behind: hidden temporary files.
  static std::vector<std::string> Leftovers(const fs::path& folder) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(folder)) {
      const std::string name = entry.path().filename().string();
      if (name.ends_with(".tmp") || name.ends_with(".part")) names.push_back(name);
    }
    return names;
  }

  static constexpr const char* kPrecious = "not yours to overwrite\n";
};

// Children started while it lives may write no file beyond `bytes` (writes
// past it fail with EFBIG instead of raising SIGXFSZ): a disk that fills up
// in the middle of a write, without root.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    getrlimit(RLIMIT_FSIZE, &saved_);
    old_handler_ = signal(SIGXFSZ, SIG_IGN);
    rlimit limited = saved_;
    limited.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &limited);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &saved_);
    signal(SIGXFSZ, old_handler_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit saved_{};
  sighandler_t old_handler_ = SIG_DFL;
};

TEST_F(SafeWriteTest, CreateDoesNotFollowALinkAtThePartName) {
  const fs::path folder = Folder("release");
  const fs::path bundle = folder / "app.lmbundle";
  const fs::path victim = PlantLink(folder / "app.lmbundle.part");
  MakeBundle(bundle, {plugin::kStep1});
  EXPECT_EQ(ReadFile(victim), kPrecious);
  EXPECT_TRUE(fs::is_symlink(folder / "app.lmbundle.part"));
  const std::vector<Member> members = ReadMembers(bundle);
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[1].bytes, ReadFile(plugin::kStep1));
  EXPECT_EQ(Leftovers(folder), std::vector<std::string>{"app.lmbundle.part"});
}

TEST_F(SafeWriteTest, SignDoesNotFollowALinkAtThePartName) {
  const fs::path bundle = MakeBundle(Dir() / "app.lmbundle", {plugin::kStep1});
  ASSERT_TRUE(Succeeded(Lm({"keygen", (Dir() / "release").string()})));
  const fs::path victim = PlantLink(Dir() / "app.lmbundle.part");
  ASSERT_TRUE(Succeeded(Lm({"bundle", "sign", bundle.string(), "--secret-key", (Dir() / "release.key").string()})));
  EXPECT_EQ(ReadFile(victim), kPrecious);
  EXPECT_EQ(ReadMembers(bundle)[1].name, "manifest.sig");
  EXPECT_TRUE(Succeeded(Lm({"bundle", "verify", bundle.string()})));
}

// A link at the output's own name is replaced by the bundle, its target
// left alone.
TEST_F(SafeWriteTest, CreateReplacesALinkAtTheOutputNotWhereItLeads) {
  const fs::path bundle = Dir() / "app.lmbundle";
  const fs::path victim = PlantLink(bundle);
  MakeBundle(bundle, {plugin::kStep1});
  EXPECT_EQ(ReadFile(victim), kPrecious);
  EXPECT_FALSE(fs::is_symlink(bundle));
  EXPECT_EQ(ReadMembers(bundle).size(), 2u);
}

TEST_F(SafeWriteTest, KeygenDoesNotFollowALinkAtAKeyName) {
  for (const char* planted : {"release.key", "release.pub"}) {
    SCOPED_TRACE(planted);
    const fs::path stolen = Dir() / "stolen";
    fs::create_symlink(stolen, Dir() / planted);  // dangling: the key would be created where it leads
    const ProcessResult keygen = Lm({"keygen", (Dir() / "release").string()});
    EXPECT_TRUE(Refused(keygen, 2, {(Dir() / "release").string()}));
    EXPECT_FALSE(fs::exists(stolen));
    fs::remove(Dir() / planted);
    // Half a pair is never left behind.
    EXPECT_FALSE(fs::exists(Dir() / "release.key"));
    EXPECT_FALSE(fs::exists(Dir() / "release.pub"));
    EXPECT_TRUE(Leftovers(Dir()).empty());
  }
}

TEST_F(SafeWriteTest, SecretKeyIsOwnerOnlyWhateverTheUmask) {
  const mode_t saved = umask(0);
  const ProcessResult keygen = Lm({"keygen", (Dir() / "release").string()});
  umask(saved);
  ASSERT_TRUE(Succeeded(keygen));
  struct stat info {};
  ASSERT_EQ(stat((Dir() / "release.key").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  ASSERT_EQ(stat((Dir() / "release.pub").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0666u);
  EXPECT_EQ(ReadFile(Dir() / "release.key").size(), 129u);  // 64 bytes in hex, and a newline
}

TEST_F(SafeWriteTest, FailedCreateLeavesNoOutputAndNoTemporaryFile) {
  const fs::path folder = Folder("release");
  ProcessResult create;
  {
    const FileSizeLimit limit(64 << 10);  // the bundle is twice that
    create = Lm({"bundle", "create", (folder / "app.lmbundle").string(), "--name", "app", "--bundle-version", "1",
                 plugin::kStep1.string()});
  }
  EXPECT_NE(create.exit_code, 0) << create.Describe();
  EXPECT_TRUE(fs::is_empty(folder)) << Listing(folder).size() << " entries left, first "
                                    << (Listing(folder).empty() ? "" : Listing(folder)[0]);
}

TEST_F(SafeWriteTest, FailedSignLeavesTheBundleAsItWas) {
  const fs::path bundle = MakeBundle(Dir() / "app.lmbundle", {plugin::kStep1});
  ASSERT_TRUE(Succeeded(Lm({"keygen", (Dir() / "release").string()})));
  const std::string before = ReadFile(bundle);
  ProcessResult sign;
  {
    const FileSizeLimit limit(64 << 10);
    sign = Lm({"bundle", "sign", bundle.string(), "--secret-key", (Dir() / "release.key").string()});
  }
  EXPECT_NE(sign.exit_code, 0) << sign.Describe();
  EXPECT_EQ(ReadFile(bundle), before);
  EXPECT_TRUE(Leftovers(Dir()).empty());
}

}  // namespace
}  // namespace bundle_test
