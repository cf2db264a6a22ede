// Captures what a step prints: file descriptors 1 and 2 go into a pipe whose
// lines reach a callback, in order, while the step runs.
#ifndef LINK_MIGRATION_RUNNER_OUTPUT_CAPTURE_H
#define LINK_MIGRATION_RUNNER_OUTPUT_CAPTURE_H

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "status.h"

namespace lm {

class OutputCapture {
 public:
  using LineHandler = std::function<void(const std::string& line)>;

  explicit OutputCapture(LineHandler on_line) : on_line_(std::move(on_line)) {}
  ~OutputCapture() { Stop(); }
  OutputCapture(const OutputCapture&) = delete;
  OutputCapture& operator=(const OutputCapture&) = delete;

  Status Start();
  // Flushes stdio, restores the descriptors and delivers the last lines.
  void Stop();

 private:
  void Pump(int read_end);

  LineHandler on_line_;
  std::thread reader_;
  int saved_stdout_ = -1;
  int saved_stderr_ = -1;
  std::atomic<bool> running_{false};
};

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_OUTPUT_CAPTURE_H
