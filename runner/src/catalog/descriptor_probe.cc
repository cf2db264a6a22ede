#include "catalog/descriptor_probe.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string_view>

#include "base/relay_format.h"

namespace lm {
namespace {

// The child's messages (base/relay_format.h): one per migration found, then
// one closing each file.
constexpr char kMigrationMessage = 'M';  // index, the migration's fields
constexpr char kFileReadMessage = 'R';   // index: the file's migrations all sent
constexpr char kProblemMessage = 'P';    // index, message: the file's problem

bool WriteAll(int fd, const std::string& bytes) {
  for (size_t written = 0; written < bytes.size();) {
    const ssize_t n = write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    written += static_cast<size_t>(n);
  }
  return true;
}

// The child: reads files [begin, end) and sends what it found. Never returns.
[[noreturn]] void RunChild(int out, pid_t parent, size_t begin, size_t end,
                           const DescriptorReader& read_descriptors) {
  // Like the worker, it never outlives the runner (a parent that died before
  // this call is seen as a new parent).
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(1);
  // What a plugin prints while it loads is no part of the command's output
  // (the worker loads it again, and that one's output is the one shown).
  const int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    dup2(null, STDIN_FILENO);
    dup2(null, STDOUT_FILENO);
    dup2(null, STDERR_FILENO);
  }
  relay::MessageWriter writer;
  for (size_t index = begin; index < end; ++index) {
    std::vector<Migration> migrations;
    const Status read_status = read_descriptors(index, &migrations);
    const auto file_index = static_cast<int64_t>(index);
    if (!read_status.ok()) {
      writer.Start(kProblemMessage);
      writer.Int(file_index);
      writer.Text(read_status.message());
      if (!WriteAll(out, writer.Finish())) _exit(1);
      continue;
    }
    std::string batch;
    for (const Migration& migration : migrations) {
      writer.Start(kMigrationMessage);
      writer.Int(file_index);
      writer.Int(migration.version);
      writer.Text(migration.name);
      writer.Text(migration.checksum);
      writer.Int(migration.flags);
      writer.Int(migration.has_down ? 1 : 0);
      writer.Text(migration.description);
      writer.Text(migration.up_note);
      writer.Text(migration.down_note);
      batch += writer.Finish();
    }
    writer.Start(kFileReadMessage);
    writer.Int(file_index);
    batch += writer.Finish();
    if (!WriteAll(out, batch)) _exit(1);
  }
  _exit(0);
}

// Reads one message of the child into `files`; false when malformed. Files
// are answered in order: `*answered` is how many so far.
bool ReadMessage(std::string_view line, const std::vector<std::string>& names, std::vector<ProbedFile>* files,
                 size_t* answered) {
  relay::MessageReader message(line);
  int64_t index = 0;
  if (!message.Int(&index) || index < 0 || static_cast<size_t>(index) != *answered || *answered >= names.size())
    return false;
  ProbedFile& file = (*files)[*answered];
  switch (message.type()) {
    case kMigrationMessage: {
      Migration migration;
      int64_t flags = 0;
      int64_t has_down = 0;
      message.Int(&migration.version);
      message.Text(&migration.name);
      message.Text(&migration.checksum);
      message.Int(&flags);
      message.Int(&has_down);
      message.Text(&migration.description);
      message.Text(&migration.up_note);
      message.Text(&migration.down_note);
      if (!message.Done()) return false;
      migration.flags = static_cast<uint32_t>(flags);
      migration.has_down = has_down != 0;
      migration.file = names[*answered];
      file.migrations.push_back(std::move(migration));
      return true;
    }
    case kFileReadMessage:
      if (!message.Done()) return false;
      ++*answered;
      return true;
    case kProblemMessage: {
      std::string text;
      message.Text(&text);
      if (!message.Done()) return false;
      file.migrations.clear();
      file.problem = Status::Error(ErrorKind::kPluginLoad, std::move(text));
      ++*answered;
      return true;
    }
    default:
      return false;
  }
}

std::string SignalName(int signal_number) {
  const char* abbreviation = sigabbrev_np(signal_number);
  return abbreviation != nullptr ? std::string("SIG") + abbreviation : "signal " + std::to_string(signal_number);
}

// Why the child stopped before answering for the file it was loading.
std::string DeathOf(int wait_status) {
  if (WIFSIGNALED(wait_status)) return "crashed while loading (" + SignalName(WTERMSIG(wait_status)) + ")";
  if (WIFEXITED(wait_status)) return "exited while loading (exit status " + std::to_string(WEXITSTATUS(wait_status)) + ")";
  return "stopped while loading";
}

// One child for files [begin, names.size()): returns how many of them it
// answered for before it ended; the file after those (if any) is the one it
// died on, and gets its problem here.
size_t ProbeFrom(size_t begin, const std::vector<std::string>& names, const DescriptorReader& read_descriptors,
                 std::vector<ProbedFile>* files) {
  int channel[2];
  if (pipe2(channel, O_CLOEXEC) != 0) {
    (*files)[begin].problem = Status::Error(
        ErrorKind::kPluginLoad, names[begin] + ": cannot start a process to load it in: " + std::strerror(errno));
    return 1;
  }
  const pid_t parent = getpid();
  const pid_t child = fork();
  if (child == 0) {
    close(channel[0]);
    // An exception must not unwind past the fork into the runner's own code,
    // where this process would go on as a second runner: the child ends, and
    // the file it was reading gets the problem of a child that died on it.
    try {
      RunChild(channel[1], parent, begin, names.size(), read_descriptors);
    } catch (...) {
      _exit(1);
    }
  }
  close(channel[1]);
  if (child < 0) {
    close(channel[0]);
    (*files)[begin].problem = Status::Error(
        ErrorKind::kPluginLoad, names[begin] + ": cannot start a process to load it in: " + std::strerror(errno));
    return 1;
  }
  size_t answered = begin;
  bool malformed = false;
  // Only whole lines: a message cut off by the child's death is not one.
  relay::LineSplitter lines;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t got = ::read(channel[0], buffer, sizeof(buffer));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    lines.Feed(std::string_view(buffer, static_cast<size_t>(got)), [&](std::string_view line) {
      malformed = malformed || !ReadMessage(line, names, files, &answered);
    });
  }
  close(channel[0]);
  int wait_status = 0;
  while (waitpid(child, &wait_status, 0) < 0 && errno == EINTR) {
  }
  if (answered < names.size()) {
    ProbedFile& died_on = (*files)[answered];
    died_on.migrations.clear();
    // A garbled message can only come from the plugin writing to the pipe.
    const std::string what = malformed ? "wrote over the runner's messages while loading" : DeathOf(wait_status);
    died_on.problem = Status::Error(ErrorKind::kPluginLoad, names[answered] + ": " + what);
    ++answered;
  }
  return answered - begin;
}

}  // namespace

std::vector<ProbedFile> ReadDescriptorsInChild(const std::vector<std::string>& names, const DescriptorReader& read_descriptors) {
  std::vector<ProbedFile> files(names.size());
  for (size_t begin = 0; begin < names.size();) begin += ProbeFrom(begin, names, read_descriptors, &files);
  return files;
}

}  // namespace lm
