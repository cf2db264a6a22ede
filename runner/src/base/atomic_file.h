// How the runner and the shipped stores write a file: a bundle, a key, a
// scaffolded migration, the json-file store's state. Never through a name someone
// else could have prepared (a link planted at "OUT.part" would make the
// writer overwrite the link's target), and never half: a file appears under
// its name complete and synced, or not at all.
//
// Shared by the runner and the store plugins (its own small library), so it
// speaks plain text errors, not either side's Status type.
#ifndef LINK_MIGRATION_RUNNER_ATOMIC_FILE_H
#define LINK_MIGRATION_RUNNER_ATOMIC_FILE_H

#include <sys/types.h>

#include <string>
#include <string_view>

namespace lm {

enum class Publish {
  kReplace,     // replace what is at the name (a link there is replaced, not followed), or create it
  kCreateOnly,  // create the name; when it exists already, leave it alone
};

// A file being written, under a hidden name of its own in the folder of the
// file it is to become (".<name>.<pid>.<n>.tmp", n counting the process's
// new files, which the runner's folder scan skips): created with O_CREAT |
// O_EXCL | O_NOFOLLOW, so it is a new file that nothing else names; a file
// or link already at that name fails the create and is never followed.
// Published under its final name once complete; removed by the destructor
// when it never was.
class NewFile {
 public:
  NewFile() = default;
  ~NewFile();
  NewFile(const NewFile&) = delete;
  NewFile& operator=(const NewFile&) = delete;
  NewFile(NewFile&& other) noexcept;
  NewFile& operator=(NewFile&& other) noexcept;

  // Creates the file that is to become `path`, with permission bits `mode`
  // (less the umask) from the start: a secret key is never readable by
  // others, not even for a moment. Empty on success, else why not.
  std::string Create(const std::string& path, mode_t mode);

  // Appends `bytes`. Empty on success, else why not.
  std::string Write(std::string_view bytes);

  // Syncs the file, gives it its final name, and syncs the folder so the
  // name survives a crash. kReplace keeps the permission bits of a regular
  // file it replaces. kCreateOnly links the name (link() fails on an
  // existing name, so two writers cannot overwrite one another); *created
  // (when not null) says whether this call made it. On failure the
  // temporary file is removed and the final name left as it was. Empty on
  // success, else why not.
  std::string Publish(Publish how, bool* created = nullptr);

  bool open() const { return fd_ >= 0; }
  const std::string& temporary_path() const { return temporary_; }

 private:
  void Discard();

  int fd_ = -1;
  std::string path_;
  std::string temporary_;
};

// NewFile's Create, Write and Publish at once: `bytes` become the whole file
// at `path`. Empty on success, else why not (naming the file).
std::string WriteFileAtomically(const std::string& path, std::string_view bytes, mode_t mode = 0666,
                                Publish how = Publish::kReplace, bool* created = nullptr);

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_ATOMIC_FILE_H
