#include "tar_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

#include <memory>
#include <set>

namespace lm {
namespace {

using ReadHandle = std::unique_ptr<archive, decltype(&archive_read_free)>;
using WriteHandle = std::unique_ptr<archive, decltype(&archive_write_free)>;

constexpr la_int64_t kMaxMemberSize = la_int64_t{1} << 30;  // a plugin larger than 1 GiB is not one

bool SafeName(const std::string& name) {
  if (name.empty() || name.front() == '/') return false;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string::npos) end = name.size();
    if (name.compare(start, end - start, "..") == 0 && end - start == 2) return false;
    start = end + 1;
  }
  return true;
}

std::string Reason(archive* handle) {
  const char* text = archive_error_string(handle);
  return text ? text : "unknown archive error";
}

}  // namespace

std::string ReadTar(const std::filesystem::path& path, std::vector<TarMember>* members) {
  ReadHandle handle(archive_read_new(), archive_read_free);
  archive_read_support_format_tar(handle.get());
  archive_read_support_filter_none(handle.get());
  if (archive_read_open_filename(handle.get(), path.c_str(), 64 * 1024) != ARCHIVE_OK)
    return "cannot open as a tar archive: " + Reason(handle.get());
  std::set<std::string> seen;
  archive_entry* entry = nullptr;
  for (;;) {
    int result = archive_read_next_header(handle.get(), &entry);
    if (result == ARCHIVE_EOF) break;
    if (result != ARCHIVE_OK) return "damaged archive: " + Reason(handle.get());
    const char* raw_name = archive_entry_pathname(entry);
    std::string name = raw_name ? raw_name : "";
    if (archive_entry_filetype(entry) != AE_IFREG) return "member '" + name + "' is not a regular file";
    if (!SafeName(name)) return "member '" + name + "' has an unsafe name";
    if (!seen.insert(name).second) return "member '" + name + "' appears twice";
    const la_int64_t size = archive_entry_size(entry);
    if (size < 0 || size > kMaxMemberSize) return "member '" + name + "' has an impossible size";
    TarMember member{name, std::string(static_cast<size_t>(size), '\0')};
    la_ssize_t got = archive_read_data(handle.get(), member.bytes.data(), member.bytes.size());
    if (got != size) return "member '" + name + "' is truncated";
    members->push_back(std::move(member));
  }
  return "";
}

std::string WriteTar(const std::filesystem::path& path, const std::vector<TarMember>& members) {
  const std::filesystem::path partial = path.string() + ".part";
  WriteHandle handle(archive_write_new(), archive_write_free);
  archive_write_set_format_pax_restricted(handle.get());
  if (archive_write_open_filename(handle.get(), partial.c_str()) != ARCHIVE_OK)
    return "cannot create " + partial.string() + ": " + Reason(handle.get());
  for (const TarMember& member : members) {
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(entry.get(), member.name.c_str());
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), 0644);
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(member.bytes.size()));
    archive_entry_set_mtime(entry.get(), 0, 0);
    if (archive_write_header(handle.get(), entry.get()) != ARCHIVE_OK ||
        archive_write_data(handle.get(), member.bytes.data(), member.bytes.size()) !=
            static_cast<la_ssize_t>(member.bytes.size())) {
      std::string reason = Reason(handle.get());
      unlink(partial.c_str());
      return "cannot write " + member.name + " into " + partial.string() + ": " + reason;
    }
  }
  if (archive_write_close(handle.get()) != ARCHIVE_OK) {
    std::string reason = Reason(handle.get());
    unlink(partial.c_str());
    return "cannot finish " + partial.string() + ": " + reason;
  }
  std::error_code error;
  std::filesystem::rename(partial, path, error);
  if (error) return "cannot rename " + partial.string() + " to " + path.string() + ": " + error.message();
  return "";
}

}  // namespace lm
