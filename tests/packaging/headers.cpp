// packaging.headers_cxx: every public header, the C ones and the C++ layer,
// compiles as C++20 with -Wall -Wextra -Werror -pedantic, and the layouts the
// ABI promises are the same as in C (headers.c).
#include <link_migration/abi.h>
#include <link_migration/migration.h>
#include <link_migration/migration.hpp>
#include <link_migration/sqlite.hpp>
#include <link_migration/store.h>

#include <cstddef>

#include "abi_layout.h"

LINK_MIGRATION({
    .version = 1,
    .name = "headers",
    .up = [](link_migration::Context& ctx) { ctx.info("compiled as C++"); },
});
