// Writing messages into the caller-owned lm_error at the C boundary.
#ifndef LINK_MIGRATION_STORES_COMMON_ERROR_BUFFER_H
#define LINK_MIGRATION_STORES_COMMON_ERROR_BUFFER_H

#include <link_migration/abi.h>

#include <string_view>

namespace lm::stores {

// Copies `message` into err->message as one line: line breaks become spaces,
// and a message too long for LM_ERROR_MESSAGE_MAX is cut at a UTF-8 character
// boundary. The result is always NUL-terminated. Does nothing if err is NULL.
// Never throws, so it is safe inside catch blocks.
void SetError(lm_error* err, std::string_view message) noexcept;

}  // namespace lm::stores

#endif  // LINK_MIGRATION_STORES_COMMON_ERROR_BUFFER_H
