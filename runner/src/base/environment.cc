#include "base/environment.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <random>

namespace lm {
namespace {

class ProcessEnvironment : public Environment {
 public:
  std::string User() const override {
    if (const passwd* entry = getpwuid(geteuid())) return entry->pw_name;
    if (const char* name = getenv("USER")) return name;
    return "uid" + std::to_string(geteuid());
  }
  std::string Host() const override {
    char name[256] = {};
    if (gethostname(name, sizeof(name) - 1) != 0) return "unknown-host";
    return name;
  }
  int64_t Pid() const override { return getpid(); }
  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::now();
  }
};

std::tm UtcFields(std::chrono::system_clock::time_point when) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(when);
  std::tm fields{};
  gmtime_r(&seconds, &fields);
  return fields;
}

}  // namespace

const Environment& SystemEnvironment() {
  static const ProcessEnvironment environment;
  return environment;
}

// Digit by digit rather than snprintf: every step writes two timestamps, and
// snprintf cost more than the rest of making the step's record. The clock
// counts nanoseconds in 64 bits, so its years (1677 to 2262) have four digits.
std::string FormatUtc(std::chrono::system_clock::time_point when) {
  std::tm fields = UtcFields(when);
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count() % 1000;
  if (millis < 0) millis += 1000;
  char text[] = "0000-00-00T00:00:00.000Z";
  auto put = [&text](int at, int width, int value) {
    for (int i = at + width - 1; i >= at; --i, value /= 10) text[i] = static_cast<char>('0' + value % 10);
  };
  put(0, 4, fields.tm_year + 1900);
  put(5, 2, fields.tm_mon + 1);
  put(8, 2, fields.tm_mday);
  put(11, 2, fields.tm_hour);
  put(14, 2, fields.tm_min);
  put(17, 2, fields.tm_sec);
  put(20, 3, static_cast<int>(millis));
  return std::string(text, sizeof(text) - 1);
}

std::string FormatUtcCompact(std::chrono::system_clock::time_point when) {
  std::tm fields = UtcFields(when);
  char text[32];
  std::strftime(text, sizeof(text), "%Y%m%dT%H%M%SZ", &fields);
  return text;
}

std::string NewRunId() {
  std::random_device entropy;
  std::uniform_int_distribution<unsigned> nibble(0, 15);
  std::string id(16, '0');
  for (char& digit : id) digit = "0123456789abcdef"[nibble(entropy)];
  return id;
}

}  // namespace lm
