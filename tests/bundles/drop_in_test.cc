// Drop-in folders: re-read on every run; partial-copy and hidden names are
// skipped; a file that is not a complete library (a copy still in progress),
// or a link or folder named like a plugin that is none, is a clean one-line
// error, never a crash nor skipped; store plugins dropped into a
// plugin_path folder are found by name.
#include <sys/stat.h>

#include "bundle_support.h"

namespace bundle_test {
namespace {

using nlohmann::json;

class DropInTest : public BundleTest {
 protected:
  void SetUp() override {
    BundleTest::SetUp();
    folder_ = Folder("migrations");
    WriteConfig(json::array({folder_.string()}));
  }

  // The documented way: copy under a temporary name in the same folder,
  // then rename into place.
  fs::path DropIn(const fs::path& plugin, const std::string& name) {
    const fs::path temporary = folder_ / ("." + name + ".tmp");
    CopyTo(plugin, temporary);
    const fs::path target = folder_ / name;
    fs::rename(temporary, target);
    return target;
  }

  fs::path folder_;
};

TEST_F(DropInTest, FolderIsReadAgainOnEveryRun) {
  DropIn(plugin::kStep1, "step_1.so");
  ASSERT_TRUE(Succeeded(LmConfig({"up"})));
  EXPECT_EQ(Applied(), std::vector<int64_t>{1});

  DropIn(plugin::kStep2, "step_2.so");
  const ProcessResult second = LmConfig({"up"});
  ASSERT_TRUE(Succeeded(second));
  EXPECT_NE(second.out.find("bundle-step up 2"), std::string::npos) << second.out;
  EXPECT_EQ(second.out.find("bundle-step up 1"), std::string::npos) << second.out;
  EXPECT_EQ(Applied(), (std::vector<int64_t>{1, 2}));
}

TEST_F(DropInTest, CopyInProgressUnderATemporaryNameIsNotLoaded) {
  DropIn(plugin::kStep1, "step_1.so");
  const std::string bytes = ReadFile(plugin::kStep2);
  WriteFile(folder_ / ".step_2.so.tmp", bytes.substr(0, bytes.size() / 2));
  ASSERT_TRUE(Succeeded(LmConfig({"up"})));
  EXPECT_EQ(Applied(), std::vector<int64_t>{1});

  // The copy completes and is renamed into place: the next run takes it.
  WriteFile(folder_ / ".step_2.so.tmp", bytes);
  fs::rename(folder_ / ".step_2.so.tmp", folder_ / "step_2.so");
  ASSERT_TRUE(Succeeded(LmConfig({"up"})));
  EXPECT_EQ(Applied(), (std::vector<int64_t>{1, 2}));
}

TEST_F(DropInTest, PartialCopyAndHiddenNamesAreSkipped) {
  DropIn(plugin::kStep1, "step_1.so");
  const std::string half = ReadFile(plugin::kStep2).substr(0, 3000);
  for (const char* name : {".step_2.so", "step_2.so.part", "step_2.so.tmp", "step_2.so~", ".#step_2.so", "step_2.part",
                           "step_2.tmp", "step_2.so.swp", "README"})
    WriteFile(folder_ / name, half);
  const ProcessResult up = LmConfig({"up"});
  ASSERT_TRUE(Succeeded(up));
  EXPECT_EQ(Applied(), std::vector<int64_t>{1});
}

TEST_F(DropInTest, HalfAPluginIsACleanError) {
  DropIn(plugin::kStep1, "step_1.so");
  const std::string bytes = ReadFile(plugin::kStep2);
  const fs::path partial = folder_ / "step_2.so";
  WriteFile(partial, bytes.substr(0, bytes.size() / 2));
  EXPECT_TRUE(Refused(LmConfig({"up"}), 4, {partial.string(), "truncated"}));
  EXPECT_FALSE(fs::exists(Dir() / "state.json")) << "nothing may run while a plugin is incomplete";
}

TEST_F(DropInTest, EveryTruncationIsACleanError) {
  const std::string bytes = ReadFile(plugin::kStep2);
  const fs::path partial = folder_ / "step_2.so";
  for (size_t size : {size_t{0}, size_t{1}, size_t{16}, size_t{63}, size_t{64}, size_t{100}, size_t{1000}, size_t{4096},
                      bytes.size() / 4, bytes.size() * 3 / 4, bytes.size() - 1}) {
    WriteFile(partial, bytes.substr(0, size));
    EXPECT_TRUE(Refused(LmConfig({"status"}), 4, {partial.string()})) << size << " of " << bytes.size() << " bytes";
  }
}

TEST_F(DropInTest, NotALibraryIsACleanError) {
  const fs::path text = folder_ / "notes.so";
  WriteFile(text, "these are not the plugins you are looking for\n");
  EXPECT_TRUE(Refused(LmConfig({"up"}), 4, {text.string(), "not a shared library"}));
}

// A link named like a plugin that leads to no plugin file is refused like a
// broken file, by status and up, naming where it leads: never skipped
// without a word.
TEST_F(DropInTest, LinkToNoPluginFileIsACleanError) {
  DropIn(plugin::kStep1, "step_1.so");
  const fs::path link = folder_ / "step_2.so";
  fs::create_directory(Dir() / "folder");
  fs::create_symlink(link, Dir() / "loop");
  const struct {
    fs::path target;
    std::string why;
  } cases[] = {
      {Dir() / "gone.so", "which does not exist"},
      {Dir() / "folder", "which is a folder, not a plugin file"},
      {Dir() / "loop", "a loop of links that leads to no file"},  // step_2.so -> loop -> step_2.so
      {"/dev/zero", "which is a character device, not a plugin file"},  // reading it would never end
  };
  for (const auto& [target, why] : cases) {
    SCOPED_TRACE(target);
    fs::remove(link);
    fs::create_symlink(target, link);
    const std::string named = link.string() + ": a symbolic link to " + target.string() + ", " + why;
    const ProcessResult status = LmConfig({"status"});
    EXPECT_TRUE(Refused(status, 4, {named}));
    EXPECT_NE(status.out.find("step_1"), std::string::npos) << status.Describe();
    EXPECT_TRUE(Refused(LmConfig({"up"}), 4, {named}));
  }
  EXPECT_FALSE(fs::exists(Dir() / "state.json")) << "nothing may run beside a link to no plugin";
}

TEST_F(DropInTest, FolderNamedLikeAPluginIsACleanError) {
  DropIn(plugin::kStep1, "step_1.so");
  fs::create_directory(folder_ / "step_2.so");
  EXPECT_TRUE(Refused(LmConfig({"up"}), 4, {(folder_ / "step_2.so").string() + ": not a regular file"}));
}

// Refused before anything reads it: the allow-list's digest would wait for
// a writer forever.
TEST_F(DropInTest, FifoNamedLikeAPluginIsACleanError) {
  DropIn(plugin::kStep1, "step_1.so");
  const fs::path fifo = folder_ / "step_2.so";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  WriteConfig(json::array({folder_.string()}),
              {{"trust", {{"check_permissions", false}, {"allowed_sha256", {Sha256Hex(ReadFile(plugin::kStep1))}}}}});
  EXPECT_TRUE(Refused(LmConfig({"up"}), 4, {fifo.string() + ": not a regular file"}));
}

TEST_F(DropInTest, StorePluginFoundInPluginPath) {
  DropIn(plugin::kStep1, "step_1.so");
  const fs::path stores = Folder("stores");
  CopyTo(kJsonFileStore, stores / ".my-store.so.tmp");
  fs::rename(stores / ".my-store.so.tmp", stores / "my-store.so");
  WriteConfig(json::array({folder_.string()}),
              {{"plugin_path", json::array({"stores"})},
               {"store", {{"plugin", "my-store"}, {"options", {{"path", "my-state.json"}}}}}});
  ASSERT_TRUE(Succeeded(LmConfig({"up"})));
  EXPECT_EQ(Applied(), std::vector<int64_t>{1});
  EXPECT_TRUE(fs::exists(Dir() / "my-state.json"));
}

TEST_F(DropInTest, StorePluginStillBeingCopiedIsNotFound) {
  const fs::path stores = Folder("stores");
  WriteFile(stores / "my-store.so.part", ReadFile(kJsonFileStore).substr(0, 2000));
  WriteConfig(json::array({folder_.string()}),
              {{"plugin_path", json::array({"stores"})},
               {"store", {{"plugin", "my-store"}, {"options", {{"path", "my-state.json"}}}}}});
  EXPECT_TRUE(Refused(LmConfig({"status"}), 3, {(Dir() / "conf.json").string(), "my-store"}));
}

TEST_F(DropInTest, HalfAStorePluginIsACleanError) {
  DropIn(plugin::kStep1, "step_1.so");
  const std::string bytes = ReadFile(kJsonFileStore);
  const fs::path partial = Folder("stores") / "my-store.so";
  WriteFile(partial, bytes.substr(0, bytes.size() / 2));
  WriteConfig(json::array({folder_.string()}),
              {{"plugin_path", json::array({"stores"})},
               {"store", {{"plugin", "my-store"}, {"options", {{"path", "my-state.json"}}}}}});
  EXPECT_TRUE(Refused(LmConfig({"status"}), 4, {partial.string(), "truncated"}));
  EXPECT_TRUE(Refused(LmConfig({"up"}), 4, {partial.string(), "truncated"}));
}

}  // namespace
}  // namespace bundle_test
