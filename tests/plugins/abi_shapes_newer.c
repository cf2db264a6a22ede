/* Version 62 as a plugin built with a newer SDK than the runner's: its plugin
 * and migration descriptors are the first release's layouts
 * (abi_first_release.h) with fields appended that no runner knows yet. They
 * point at a function that aborts, so a runner that used them would die
 * rather than pass. */
#include <stdlib.h>

#include "abi_first_release.h"

static void never_called(void) { abort(); }

typedef struct newer_migration {
  first_migration first;
  void (*future_step)(void);
  const char* future_text;
} newer_migration;

typedef struct newer_plugin {
  first_plugin first;
  void (*future_hook)(void);
  uint64_t future_flags;
} newer_plugin;

static lm_result newer_up(const first_migration* self, const first_host* host, first_context* ctx) {
  (void)self;
  host->log(ctx, FIRST_LOG_INFO, "62 ran from a descriptor larger than the runner's");
  return LM_OK;
}

static const newer_migration newer_62 = {
    .first = {.struct_size = sizeof(newer_migration), .version = 62, .name = "newer_62", .up = newer_up},
    .future_step = never_called,
    .future_text = "a field no runner knows yet",
};

static const first_migration* const migrations[] = {&newer_62.first};

LM_EXPORT const newer_plugin link_migration_plugin = {
    .first = {sizeof(newer_plugin), FIRST_ABI_VERSION, migrations, migrations + 1, "99.0.0"},
    .future_hook = never_called,
    .future_flags = ~(uint64_t)0,
};
