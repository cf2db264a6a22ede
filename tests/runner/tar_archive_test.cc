// The runner's own tar reader and writer (the bundle container) against GNU
// tar: what one writes the other reads, in every format GNU tar writes, and
// damaged archives are refused with the member or byte at fault.
#include "catalog/tar_archive.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "support/files.h"
#include "support/temp_dir.h"

namespace lm {
namespace {

namespace fs = std::filesystem;

class TarArchiveTest : public ::testing::Test {
 protected:
  // Runs a shell command in the test's folder; true when it exits 0.
  bool Shell(const std::string& command) const {
    return std::system(("cd '" + dir_.path().string() + "' && " + command + " >/dev/null 2>&1").c_str()) == 0;
  }

  test::TempDir dir_;
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
  for (const TarMember& member : members)
    EXPECT_EQ(test::ReadFile(dir_ / ("x/" + member.name)), member.bytes) << member.name;
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
  test::WriteFile(dir_ / "in/manifest.json", "{\"a\": 1}");
  test::WriteFile(dir_ / ("in/" + kLongName), Binary(2000));
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
  test::WriteFile(dir_ / "in/sub/file", "x");
  ASSERT_TRUE(Shell("tar -cf dir.tar -C in sub"));
  std::vector<TarMember> read;
  EXPECT_EQ(ReadTar(dir_ / "dir.tar", &read), "member 'sub/' is not a regular file");
}

TEST_F(TarArchiveTest, RefusesUnsafeAndRepeatedNames) {
  test::WriteFile(dir_ / "in/f", "x");
  ASSERT_TRUE(Shell("tar -cf dotdot.tar -C in --transform 's,^f,../f,' -P f"));
  std::vector<TarMember> read;
  EXPECT_EQ(ReadTar(dir_ / "dotdot.tar", &read), "member '../f' has an unsafe name");
  ASSERT_EQ(WriteTar(dir_ / "twice.tar", {{"a", "1"}, {"a", "2"}}), "");
  read.clear();
  EXPECT_EQ(ReadTar(dir_ / "twice.tar", &read), "member 'a' appears twice");
}

TEST_F(TarArchiveTest, RefusesDamage) {
  ASSERT_EQ(WriteTar(dir_ / "good.tar", {{"plugins/a.so", Binary(3000)}}), "");
  const std::string good = test::ReadFile(dir_ / "good.tar");
  std::vector<TarMember> read;

  std::string flipped = good;
  flipped[10] ^= 1;  // inside the first header's name
  test::WriteFile(dir_ / "flipped.tar", flipped);
  EXPECT_EQ(ReadTar(dir_ / "flipped.tar", &read), "damaged archive: header checksum mismatch at byte 0");

  test::WriteFile(dir_ / "cut.tar", good.substr(0, 512 + 1000));
  EXPECT_EQ(ReadTar(dir_ / "cut.tar", &read), "member 'plugins/a.so' is truncated");

  // Cut inside the member's padding: bytes appended later would pass as
  // padding, not as data after the end (the fuzzer found it).
  test::WriteFile(dir_ / "cut-in-padding.tar", good.substr(0, 512 + 3000 + 10));
  EXPECT_EQ(ReadTar(dir_ / "cut-in-padding.tar", &read), "member 'plugins/a.so' is truncated");
  test::WriteFile(dir_ / "cut-in-padding-then-junk.tar", good.substr(0, 512 + 3000 + 10) + "x");
  EXPECT_EQ(ReadTar(dir_ / "cut-in-padding-then-junk.tar", &read), "member 'plugins/a.so' is truncated");

  test::WriteFile(dir_ / "half-header.tar", good.substr(0, 300));
  EXPECT_EQ(ReadTar(dir_ / "half-header.tar", &read), "damaged archive: truncated header");

  test::WriteFile(dir_ / "empty.tar", "");
  EXPECT_EQ(ReadTar(dir_ / "empty.tar", &read), "damaged archive: truncated header");

  EXPECT_NE(ReadTar(dir_ / "missing.tar", &read).find("cannot open as a tar archive"), std::string::npos);
  EXPECT_TRUE(read.empty());
}

TEST_F(TarArchiveTest, RefusesDataAfterTheEnd) {
  ASSERT_EQ(WriteTar(dir_ / "good.tar", {{"plugins/a.so", Binary(3000)}}), "");
  const std::string good = test::ReadFile(dir_ / "good.tar");
  const size_t end = 512 + 3072;  // the first end-of-archive block
  std::vector<TarMember> read;

  // More zeros, as tar pads to its record size, are still the end.
  test::WriteFile(dir_ / "padded.tar", good + std::string(size_t{512} * 40, '\0'));
  ASSERT_EQ(ReadTar(dir_ / "padded.tar", &read), "");
  ASSERT_EQ(read.size(), 1u);

  read.clear();
  test::WriteFile(dir_ / "junk.tar", good + "junk");
  EXPECT_EQ(ReadTar(dir_ / "junk.tar", &read),
            "damaged archive: data after the end of the archive at byte " + std::to_string(good.size()));

  // A whole well-formed member after the end blocks: tar itself would stop
  // before it, so it is not part of what was checked.
  ASSERT_EQ(WriteTar(dir_ / "evil.tar", {{"plugins/evil.so", Binary(100)}}), "");
  test::WriteFile(dir_ / "appended.tar", good.substr(0, end + 1024) + test::ReadFile(dir_ / "evil.tar"));
  read.clear();
  EXPECT_EQ(ReadTar(dir_ / "appended.tar", &read),
            "damaged archive: data after the end of the archive at byte " + std::to_string(end + 1024));

  // A single byte set in the padding.
  std::string flipped = good;
  flipped[good.size() - 1] = 1;
  test::WriteFile(dir_ / "flipped-padding.tar", flipped);
  read.clear();
  EXPECT_EQ(ReadTar(dir_ / "flipped-padding.tar", &read),
            "damaged archive: data after the end of the archive at byte " + std::to_string(good.size() - 1));
}

TEST_F(TarArchiveTest, RefusesATailLongerThanPaddingUnread) {
  const std::string good = SerializeTar({{"plugins/a.so", Binary(3000)}});
  const size_t end = 512 + 3072;
  std::vector<TarMember> read;
  // Up to tar's largest record, zeros are padding.
  EXPECT_EQ(ParseTar(good.substr(0, end) + std::string(kMaxTarPadding, '\0'), &read), "");
  read.clear();
  EXPECT_EQ(ParseTar(good.substr(0, end) + std::string(kMaxTarPadding + 1, '\0'), &read),
            "damaged archive: " + std::to_string(kMaxTarPadding + 1) + " bytes after the end of the archive at byte " +
                std::to_string(end) + " (tar pads with at most 1048576 bytes)");
}

// A member's bytes are read only when asked for: walking the headers of a
// large archive reads a block per member.
TEST_F(TarArchiveTest, ReaderReadsMembersOnlyWhenAsked) {
  class CountingSource : public TarSource {
   public:
    explicit CountingSource(std::string_view bytes) : bytes_(bytes) {}
    uint64_t size() const override { return bytes_.size(); }
    std::string Read(uint64_t offset, size_t count, char* out) const override {
      read_ += count;
      return TarBytes(bytes_).Read(offset, count, out);
    }
    mutable uint64_t read_ = 0;

   private:
    std::string_view bytes_;
  };
  const std::string archive = SerializeTar({{"a", Binary(100000)}, {"b", Binary(200000)}});
  CountingSource source(archive);
  TarReader reader(source);
  TarEntry entry;
  std::string problem;
  std::vector<std::string> names;
  while (reader.Next(&entry, &problem)) names.push_back(entry.name);
  EXPECT_EQ(problem, "");
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b"}));
  EXPECT_LT(source.read_, 20000u);  // the headers and the padding, not the 300,000 bytes of data
}

TEST_F(TarArchiveTest, WriteFailureLeavesNoPartialFile) {
  const std::string error = WriteTar(dir_ / "no-such-folder" / "out.tar", {{"a", "1"}});
  EXPECT_NE(error.find("cannot create"), std::string::npos) << error;
  EXPECT_FALSE(fs::exists(dir_ / "no-such-folder"));
}

}  // namespace
}  // namespace lm
