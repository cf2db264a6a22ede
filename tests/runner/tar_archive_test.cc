// The runner's own tar reader and writer (the bundle container) against GNU
// tar: what one writes the other reads, in every format GNU tar writes, and
// damaged archives are refused with the member or byte at fault.
#include "catalog/tar_archive.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace lm {
namespace {

namespace fs = std::filesystem;

class TarArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "lm-tar-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs a shell command in the test's folder; true when it exits 0.
  bool Shell(const std::string& command) const {
    return std::system(("cd '" + dir_.string() + "' && " + command + " >/dev/null 2>&1").c_str()) == 0;
  }

  void WriteFile(const fs::path& relative, const std::string& bytes) const {
    fs::create_directories((dir_ / relative).parent_path());
    std::ofstream(dir_ / relative, std::ios::binary) << bytes;
  }

  std::string ReadFile(const fs::path& relative) const {
    std::ifstream in(dir_ / relative, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  fs::path dir_;
};

const std::string kLongName = "plugins/" + std::string(120, 'n') + ".so";  // past ustar's 100 + 155 split

std::string Binary(size_t size) {
  std::string bytes(size, '\0');
  for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>((i * 131) % 251);
  return bytes;
}

TEST_F(TarArchiveTest, GnuTarExtractsWhatWeWrite) {
  const std::vector<TarMember> members = {
      {"manifest.json", "{}"}, {"plugins/a.so", Binary(1000)}, {"plugins/empty.so", ""}, {kLongName, Binary(513)}};
  ASSERT_EQ(WriteTar(dir_ / "out.tar", members), "");
  EXPECT_EQ(fs::file_size(dir_ / "out.tar") % 10240, 0u);
  ASSERT_TRUE(Shell("mkdir x && tar -xf out.tar -C x"));
  for (const TarMember& member : members) EXPECT_EQ(ReadFile("x/" + member.name), member.bytes) << member.name;
  EXPECT_FALSE(fs::exists(dir_ / "out.tar.part"));
}

TEST_F(TarArchiveTest, RoundTripKeepsOrderAndBytes) {
  const std::vector<TarMember> members = {{"b", Binary(511)}, {"a", Binary(512)}, {kLongName, Binary(10)}};
  ASSERT_EQ(WriteTar(dir_ / "out.tar", members), "");
  std::vector<TarMember> read;
  ASSERT_EQ(ReadTar(dir_ / "out.tar", &read), "");
  ASSERT_EQ(read.size(), members.size());
  for (size_t i = 0; i < members.size(); ++i) {
    EXPECT_EQ(read[i].name, members[i].name);
    EXPECT_EQ(read[i].bytes, members[i].bytes);
  }
}

TEST_F(TarArchiveTest, ReadsEveryFormatGnuTarWrites) {
  WriteFile("in/manifest.json", "{\"a\": 1}");
  WriteFile("in/" + kLongName, Binary(2000));
  for (const std::string format : {"ustar", "gnu", "pax", "posix", "oldgnu"}) {
    const std::string names = format == "ustar" ? "manifest.json" : "manifest.json " + kLongName;
    ASSERT_TRUE(Shell("tar --format=" + format + " -cf " + format + ".tar -C in " + names)) << format;
    std::vector<TarMember> read;
    ASSERT_EQ(ReadTar(dir_ / (format + ".tar"), &read), "") << format;
    ASSERT_GE(read.size(), 1u) << format;
    EXPECT_EQ(read[0].name, "manifest.json") << format;
    EXPECT_EQ(read[0].bytes, "{\"a\": 1}") << format;
    if (format != "ustar") {
      ASSERT_EQ(read.size(), 2u) << format;
      EXPECT_EQ(read[1].name, kLongName) << format;
      EXPECT_EQ(read[1].bytes, Binary(2000)) << format;
    }
  }
}

TEST_F(TarArchiveTest, RefusesAFolderMember) {
  WriteFile("in/sub/file", "x");
  ASSERT_TRUE(Shell("tar -cf dir.tar -C in sub"));
  std::vector<TarMember> read;
  EXPECT_EQ(ReadTar(dir_ / "dir.tar", &read), "member 'sub/' is not a regular file");
}

TEST_F(TarArchiveTest, RefusesUnsafeAndRepeatedNames) {
  WriteFile("in/f", "x");
  ASSERT_TRUE(Shell("tar -cf dotdot.tar -C in --transform 's,^f,../f,' -P f"));
  std::vector<TarMember> read;
  EXPECT_EQ(ReadTar(dir_ / "dotdot.tar", &read), "member '../f' has an unsafe name");
  ASSERT_EQ(WriteTar(dir_ / "twice.tar", {{"a", "1"}, {"a", "2"}}), "");
  read.clear();
  EXPECT_EQ(ReadTar(dir_ / "twice.tar", &read), "member 'a' appears twice");
}

TEST_F(TarArchiveTest, RefusesDamage) {
  ASSERT_EQ(WriteTar(dir_ / "good.tar", {{"plugins/a.so", Binary(3000)}}), "");
  const std::string good = ReadFile("good.tar");
  std::vector<TarMember> read;

  std::string flipped = good;
  flipped[10] ^= 1;  // inside the first header's name
  WriteFile("flipped.tar", flipped);
  EXPECT_EQ(ReadTar(dir_ / "flipped.tar", &read), "damaged archive: header checksum mismatch at byte 0");

  WriteFile("cut.tar", good.substr(0, 512 + 1000));
  EXPECT_EQ(ReadTar(dir_ / "cut.tar", &read), "member 'plugins/a.so' is truncated");

  WriteFile("half-header.tar", good.substr(0, 300));
  EXPECT_EQ(ReadTar(dir_ / "half-header.tar", &read), "damaged archive: truncated header");

  WriteFile("empty.tar", "");
  EXPECT_EQ(ReadTar(dir_ / "empty.tar", &read), "damaged archive: truncated header");

  EXPECT_NE(ReadTar(dir_ / "missing.tar", &read).find("cannot open as a tar archive"), std::string::npos);
  EXPECT_TRUE(read.empty());
}

TEST_F(TarArchiveTest, WriteFailureLeavesNoPartialFile) {
  const std::string error = WriteTar(dir_ / "no-such-folder" / "out.tar", {{"a", "1"}});
  EXPECT_NE(error.find("cannot create"), std::string::npos) << error;
  EXPECT_FALSE(fs::exists(dir_ / "no-such-folder"));
}

}  // namespace
}  // namespace lm
