#include "common/error_buffer.h"

#include <cstddef>

namespace lm::stores {

namespace {

bool IsUtf8Continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

void SetError(lm_error* err, std::string_view message) noexcept {
  if (err == nullptr) return;
  size_t length = message.size();
  if (length > LM_ERROR_MESSAGE_MAX - 1) {
    length = LM_ERROR_MESSAGE_MAX - 1;
    // Back off to the start of a character so the cut never leaves half of a
    // multi-byte sequence, which would make the message invalid UTF-8.
    while (length > 0 && IsUtf8Continuation(message[length])) --length;
  }
  for (size_t i = 0; i < length; ++i) {
    char c = message[i];
    err->message[i] = (c == '\n' || c == '\r') ? ' ' : c;
  }
  err->message[length] = '\0';
}

}  // namespace lm::stores
