// What the safety test plugins share: a ledger that every migration appends
// its version to, kept so that a version applied twice shows up twice; and
// a wait on a fifo that holds a step until the test lets it go.
//
//   sqlite store      table ledger(version INTEGER NOT NULL), no key, through
//                     the store's own sqlite3 handle: in the step's transaction
//   postgres store    table ledger(version bigint NOT NULL), through the
//                     store's "libpq" handle (PGconn*): in the step's transaction
//   any other store   params.ledger_file: one line per applied version,
//                     appended with O_APPEND and fsync'd before the step returns
//
// A step with no ledger to write fails: a test must never pass because a
// migration silently did nothing.
#ifndef LM_SAFETY_PLUGINS_SAFETY_LEDGER_HPP
#define LM_SAFETY_PLUGINS_SAFETY_LEDGER_HPP

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <link_migration/migration.hpp>
#include <link_migration/sqlite.hpp>
#include <stdexcept>
#include <string>

#ifdef LM_SAFETY_WITH_LIBPQ
#include <libpq-fe.h>
#endif

namespace safety {

using link_migration::Context;

#ifdef LM_SAFETY_WITH_LIBPQ
inline void PgExec(PGconn* conn, const std::string& sql) {
  PGresult* result = PQexec(conn, sql.c_str());
  const ExecStatusType status = PQresultStatus(result);
  std::string message = PQresultErrorMessage(result);
  PQclear(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    throw std::runtime_error("postgres: " + message + " (in: " + sql + ")");
}
#endif

inline void AppendToFile(const std::string& path, std::int64_t version) {
  const int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  const std::string line = std::to_string(version) + "\n";
  // One write of a few bytes to a regular file: a kill lands before or after it.
  const bool written = write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  const bool synced = written && fsync(fd) == 0;
  close(fd);
  if (!synced) throw std::runtime_error("cannot append to " + path + ": " + std::strerror(errno));
}

// Opens `fifo` for reading, which blocks until the test opens the write
// end, then reads until the test writes a byte or closes it.
inline void WaitOnFifo(const std::string& fifo) {
  int fd;
  while ((fd = open(fifo.c_str(), O_RDONLY | O_CLOEXEC)) < 0 && errno == EINTR) {
  }
  if (fd < 0) throw std::runtime_error("cannot open " + fifo + ": " + std::strerror(errno));
  char byte;
  while (read(fd, &byte, 1) < 0 && errno == EINTR) {
  }
  close(fd);
}

inline void Append(const Context& ctx, std::int64_t version) {
  if (sqlite3* db = ctx.native<sqlite3>("sqlite3")) {
    link_migration::sqlite::exec(db, "CREATE TABLE IF NOT EXISTS ledger (version INTEGER NOT NULL)");
    link_migration::sqlite::Statement(db, "INSERT INTO ledger (version) VALUES (?1)").bind_int64(1, version).run();
    return;
  }
  if (void* pg = ctx.native<void>("libpq")) {
#ifdef LM_SAFETY_WITH_LIBPQ
    PGconn* conn = static_cast<PGconn*>(pg);
    PgExec(conn, "CREATE TABLE IF NOT EXISTS ledger (version bigint NOT NULL)");
    PgExec(conn, "INSERT INTO ledger (version) VALUES (" + std::to_string(version) + ")");
    return;
#else
    (void)pg;
    throw std::runtime_error("the store lends a libpq connection, but this plugin was built without libpq");
#endif
  }
  const std::string path = ctx.param_string("ledger_file");
  if (path.empty()) throw std::runtime_error("no sqlite3 or libpq connection, and no params.ledger_file");
  AppendToFile(path, version);
}

// Sleeps without being cut short by signals the runner does not send.
inline void SleepMs(long ms) {
  timespec left{ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&left, &left) != 0 && errno == EINTR) {
  }
}

// "<prefix><version>" as a constant, for a migration's name.
template <std::int64_t V>
constexpr std::array<char, 32> NumberedName(const char* prefix) {
  std::array<char, 32> text{};
  std::size_t at = 0;
  while (prefix[at] != '\0') {
    text[at] = prefix[at];
    ++at;
  }
  char digits[20] = {};
  std::size_t count = 0;
  for (std::int64_t rest = V; rest > 0; rest /= 10) digits[count++] = static_cast<char>('0' + rest % 10);
  while (count > 0) text[at++] = digits[--count];
  return text;
}

}  // namespace safety

#endif  // LM_SAFETY_PLUGINS_SAFETY_LEDGER_HPP
