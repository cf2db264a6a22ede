/* A hand-made descriptor claiming plugin ABI 99, version 50. The runner must
 * refuse it without calling anything in it, alone (tests/runner) or put into a
 * bundle whose manifest says ABI 1 (tests/bundles). */
#include <link_migration/migration.h>
#include <stddef.h>

static lm_result never_called(const lm_migration* self, const lm_host* host, lm_context* ctx) {
  (void)self;
  host->set_error(ctx, "a plugin of another ABI was run");
  return LM_ERROR;
}

static const lm_migration from_the_future = {
    .struct_size = sizeof(lm_migration),
    .version = 50,
    .name = "from_the_future",
    .up = never_called,
};
static const lm_migration* const migrations[] = {&from_the_future};

LM_EXPORT const lm_plugin link_migration_plugin = {
    sizeof(lm_plugin), 99u, migrations, migrations + 1, "99.0.0",
};
