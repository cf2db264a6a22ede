#include "bundle_support.h"

#include <archive.h>
#include <archive_entry.h>
#include <sodium.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace bundle_test {

fs::path CopyTo(const fs::path& from, const fs::path& to, fs::perms mode) {
  WriteFile(to, ReadFile(from));
  fs::permissions(to, mode);
  return to;
}

std::vector<std::string> Listing(const fs::path& folder) {
  std::vector<std::string> entries;
  for (const auto& entry : fs::recursive_directory_iterator(folder))
    entries.push_back(fs::relative(entry.path(), folder).string());
  std::sort(entries.begin(), entries.end());
  return entries;
}

std::string Sha256Hex(const std::string& bytes) {
  if (sodium_init() < 0) throw std::runtime_error("sodium_init failed");
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  char hex[sizeof(digest) * 2 + 1];
  sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
  return hex;
}

std::vector<Member> ReadMembers(const fs::path& tar) {
  std::unique_ptr<archive, decltype(&archive_read_free)> reader(archive_read_new(), archive_read_free);
  archive_read_support_format_tar(reader.get());
  if (archive_read_open_filename(reader.get(), tar.c_str(), 1 << 16) != ARCHIVE_OK)
    throw std::runtime_error("cannot open " + tar.string());
  std::vector<Member> members;
  archive_entry* entry = nullptr;
  while (archive_read_next_header(reader.get(), &entry) == ARCHIVE_OK) {
    Member member{archive_entry_pathname(entry), std::string(static_cast<size_t>(archive_entry_size(entry)), '\0')};
    if (archive_read_data(reader.get(), member.bytes.data(), member.bytes.size()) !=
        static_cast<la_ssize_t>(member.bytes.size()))
      throw std::runtime_error("cannot read " + member.name + " from " + tar.string());
    members.push_back(std::move(member));
  }
  return members;
}

void WriteMembers(const fs::path& tar, const std::vector<Member>& members) {
  std::unique_ptr<archive, decltype(&archive_write_free)> writer(archive_write_new(), archive_write_free);
  archive_write_set_format_ustar(writer.get());
  if (archive_write_open_filename(writer.get(), tar.c_str()) != ARCHIVE_OK)
    throw std::runtime_error("cannot create " + tar.string());
  for (const Member& member : members) {
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(entry.get(), member.name.c_str());
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), 0644);
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(member.bytes.size()));
    if (archive_write_header(writer.get(), entry.get()) != ARCHIVE_OK ||
        archive_write_data(writer.get(), member.bytes.data(), member.bytes.size()) !=
            static_cast<la_ssize_t>(member.bytes.size()))
      throw std::runtime_error("cannot write " + member.name + " into " + tar.string());
  }
  if (archive_write_close(writer.get()) != ARCHIVE_OK) throw std::runtime_error("cannot finish " + tar.string());
}

Member& FindMember(std::vector<Member>& members, const std::string& name) {
  for (Member& member : members)
    if (member.name == name) return member;
  ADD_FAILURE() << "no member " << name;
  throw std::runtime_error("no member " + name);
}

void BundleTest::SetUp() {
  // The tests check permissions the runner enforces: keep what they create
  // independent of the caller's umask.
  umask(022);
}

fs::path BundleTest::Folder(const std::string& name) const {
  const fs::path folder = Dir() / name;
  fs::create_directories(folder);
  fs::permissions(folder, fs::perms(0755));
  return folder;
}

fs::path BundleTest::WriteConfig(const nlohmann::json& migrations, const nlohmann::json& extra) {
  nlohmann::json config = {
      {"migrations", migrations},
      {"store", {{"plugin", "json-file"}, {"options", {{"path", (Dir() / "state.json").string()}}}}},
  };
  for (const auto& [key, value] : extra.items()) config[key] = value;
  const fs::path file = Dir() / "conf.json";
  WriteFile(file, config.dump(2));
  return file;
}

ProcessResult BundleTest::Lm(const std::vector<std::string>& args, const StartOptions& options) {
  std::vector<std::string> argv{kRunner.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  // Captures go beside the test's folder's contents, never into a folder a
  // test lists.
  return lm::test::Run(argv, Dir() / ".runs", lm::test::milliseconds(60000), options);
}

ProcessResult BundleTest::LmConfig(const std::vector<std::string>& args, const StartOptions& options) {
  std::vector<std::string> all{"-c", (Dir() / "conf.json").string()};
  all.insert(all.end(), args.begin(), args.end());
  return Lm(all, options);
}

fs::path BundleTest::MakeBundle(const fs::path& out, const std::vector<fs::path>& inputs, const std::string& name,
                                const std::string& version) {
  std::vector<std::string> args{"bundle", "create", out.string(), "--name", name, "--bundle-version", version};
  for (const fs::path& input : inputs) args.push_back(input.string());
  const ProcessResult made = Lm(args);
  EXPECT_EQ(made.exit_code, 0) << made.Describe();
  return out;
}

std::vector<int64_t> BundleTest::Applied() {
  const ProcessResult status = LmConfig({"status"});
  EXPECT_EQ(status.exit_code, 0) << status.Describe();
  std::vector<int64_t> versions;
  std::istringstream lines(status.out);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string version, state;
    words >> version >> state;
    // "applied", or "applied," before what drifted ("applied, no plugin").
    if ((state == "applied" || state == "applied,") && !version.empty() && version.find_first_not_of("0123456789") == std::string::npos)
      versions.push_back(std::stoll(version));
  }
  return versions;
}

::testing::AssertionResult Refused(const ProcessResult& result, int code, const std::vector<std::string>& needles) {
  if (result.signal != 0 || result.exit_code != code)
    return ::testing::AssertionFailure() << "expected exit " << code << ", got " << result.Describe();
  const std::string prefix = "link-migration: error: ";
  const size_t newline = result.err.find('\n');
  if (result.err.compare(0, prefix.size(), prefix) != 0 || newline + 1 != result.err.size())
    return ::testing::AssertionFailure() << "expected one error line, got " << result.Describe();
  for (const std::string& needle : needles)
    if (result.err.find(needle) == std::string::npos)
      return ::testing::AssertionFailure() << "the error does not name '" << needle << "': " << result.err;
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult Succeeded(const ProcessResult& result) {
  if (result.signal == 0 && result.exit_code == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "expected success, got " << result.Describe();
}

}  // namespace bundle_test
