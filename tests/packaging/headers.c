/* packaging.headers_c: every public C header compiles as C11 with
 * -Wall -Wextra -Werror -pedantic, and the registration macro and the layouts
 * the ABI promises hold in C (headers.cpp checks the same in C++). */
#include <link_migration/abi.h>
#include <link_migration/migration.h>
#include <link_migration/store.h>

#include <stddef.h>

#include "abi_layout.h"

static lm_result headers_up(const lm_migration* self, const lm_host* host, lm_context* ctx) {
  (void)self;
  host->log(ctx, LM_LOG_INFO, "compiled as C");
  return LM_OK;
}

static const lm_migration headers_migration = {
    .struct_size = sizeof(lm_migration),
    .version = 1,
    .name = "headers",
    .checksum = LM_SOURCE_CHECKSUM,
    .up = headers_up,
};
LM_REGISTER_MIGRATION(headers_migration);
LM_REGISTER_MIGRATION(headers_migration);
