// How large a bundle may be: the file's size and its member count are capped
// (config "bundles"), a bundle is read member by member, and what lies after
// the archive's end is judged without reading it. Run under an address-space
// limit far below the bundle's size, so that a reader holding the whole file
// in memory fails these tests instead of passing slowly.
#include <unistd.h>

#include "bundle_support.h"

namespace bundle_test {
namespace {

using nlohmann::json;

constexpr uint64_t kThreeGiB = uint64_t{3} << 30;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif
#else
constexpr bool kAddressSanitizer = false;
#endif
constexpr const char* kAddressSpaceKiB = "262144";  // 256 MiB

class BundleLimitsTest : public BundleTest {
 protected:
  void SetUp() override {
    BundleTest::SetUp();
    good_ = MakeBundle(Dir() / "good.lmbundle", {plugin::kStep1, plugin::kPair});
    big_ = Dir() / "big.lmbundle";
  }

  // big_: good_ grown to 3 GiB with a hole, which reads as zeros and takes
  // no disk space.
  void MakeSparseBundle() {
    WriteFile(big_, ReadFile(good_));
    ASSERT_EQ(truncate(big_.c_str(), static_cast<off_t>(kThreeGiB)), 0);
  }

  // The runner with `args`, its address space limited to kAddressSpaceKiB.
  // AddressSanitizer maps terabytes of shadow memory at start-up, so a runner
  // built with it runs unlimited: its refusals are checked there, the memory
  // bound in the plain build (the first part of the test command).
  ProcessResult LmInSmallMemory(const std::vector<std::string>& args) {
    const std::string limit = kAddressSanitizer ? "" : std::string("ulimit -v ") + kAddressSpaceKiB + " && ";
    std::vector<std::string> argv{"/bin/sh", "-c", limit + "exec \"$@\"", "sh", kRunner.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return lm::test::Run(argv, Dir() / ".runs");
  }

  // A migrate run from `bundle` under the memory limit is refused, and
  // nothing ran.
  ::testing::AssertionResult UpRefused(const fs::path& bundle, const std::vector<std::string>& needles,
                                       const json& limits = json()) {
    WriteConfig(json::array({bundle.string()}), limits.is_null() ? json::object() : json{{"bundles", limits}});
    const ProcessResult up = LmInSmallMemory({"-c", (Dir() / "conf.json").string(), "up"});
    if (up.out.find("bundle-step up") != std::string::npos)
      return ::testing::AssertionFailure() << "a step ran: " << up.Describe();
    if (fs::exists(Dir() / "state.json")) return ::testing::AssertionFailure() << "the store was opened";
    return Refused(up, 4, needles);
  }

  fs::path good_;
  fs::path big_;
};

TEST_F(BundleLimitsTest, TheGoodBundleLoadsInSmallMemory) {
  WriteConfig(json::array({good_.string()}));
  ASSERT_TRUE(Succeeded(LmInSmallMemory({"-c", (Dir() / "conf.json").string(), "up"})));
  EXPECT_EQ(Applied(), (std::vector<int64_t>{1, 10, 11}));
}

TEST_F(BundleLimitsTest, ABundleOverTheSizeLimitIsRefusedUnread) {
  MakeSparseBundle();
  const std::vector<std::string> needles = {big_.string(), "is 3221225472 bytes",
                                            "more than the limit of 1073741824 bytes",
                                            "\"bundles\": {\"max_bytes\": N}"};
  EXPECT_TRUE(Refused(LmInSmallMemory({"bundle", "verify", big_.string()}), 4, needles));
  EXPECT_TRUE(Refused(LmInSmallMemory({"bundle", "inspect", big_.string()}), 4, needles));
  EXPECT_TRUE(UpRefused(big_, needles));
}

// Within a raised limit, 3 GiB after the archive's end is still refused
// without being read: a valid bundle's archive ends long before.
TEST_F(BundleLimitsTest, ALargeTailIsRefusedUnread) {
  MakeSparseBundle();
  const json limits = {{"max_bytes", uint64_t{4} << 30}};
  const std::vector<std::string> needles = {big_.string(), "bytes after the end of the archive at byte",
                                            "tar pads with at most 1048576 bytes"};
  EXPECT_TRUE(UpRefused(big_, needles, limits));
  // verify takes the config's limits with -c.
  EXPECT_TRUE(Refused(LmInSmallMemory({"bundle", "verify", "-c", (Dir() / "conf.json").string(), big_.string()}), 4,
                      needles));
}

TEST_F(BundleLimitsTest, ABundleWithTooManyMembersIsRefused) {
  // good_ holds three: the manifest and two plugins.
  const std::vector<std::string> needles = {good_.string(), "holds more than 2 members",
                                            "\"bundles\": {\"max_members\": N}"};
  EXPECT_TRUE(UpRefused(good_, needles, {{"max_members", 2}}));
  EXPECT_TRUE(Refused(Lm({"bundle", "verify", "-c", (Dir() / "conf.json").string(), good_.string()}), 4, needles));

  WriteConfig(json::array({good_.string()}), {{"bundles", {{"max_members", 3}, {"max_bytes", 1 << 20}}}});
  ASSERT_TRUE(Succeeded(LmConfig({"up"})));
  EXPECT_EQ(Applied(), (std::vector<int64_t>{1, 10, 11}));
}

TEST_F(BundleLimitsTest, LimitsOfTheWrongTypeAreConfigErrors) {
  WriteConfig(json::array({good_.string()}), {{"bundles", {{"max_bytes", 0}}}});
  EXPECT_TRUE(Refused(LmConfig({"up"}), 3, {"conf.json", "$.bundles.max_bytes", "must be"}));
  WriteConfig(json::array({good_.string()}), {{"bundles", {{"max_files", 5}}}});
  EXPECT_TRUE(Refused(LmConfig({"up"}), 3, {"conf.json", "$.bundles.max_files"}));
}

// No exception leaves the runner: memory running out where nothing below
// handles it (a 1 GiB config read whole into 256 MiB of address space) is
// the one-line error and exit 13, not std::terminate's SIGABRT.
TEST_F(BundleLimitsTest, MemoryRunningOutIsAOneLineError) {
  if (kAddressSanitizer) {
    GTEST_SKIP() << "needs the address-space limit, which a runner built with AddressSanitizer cannot start under; "
                    "the plain build runs it";
  }
  const fs::path config = Dir() / "huge.json";
  WriteFile(config, "{\"migrations\": \"m\", ");
  ASSERT_EQ(truncate(config.c_str(), off_t{1} << 30), 0);
  const ProcessResult status = LmInSmallMemory({"-c", config.string(), "status"});
  EXPECT_TRUE(Refused(status, 13, {"internal error: out of memory (std::bad_alloc)"}));
}

}  // namespace
}  // namespace bundle_test
