// One reversible migration, version STEP_VERSION, that only says what it
// does: tests read "bundle-step up N" in the runner's output and the applied
// versions from the store. Built once per version (step_1, step_2, step_3).
#include <link_migration/migration.hpp>

#ifndef STEP_VERSION
#error "build with -DSTEP_VERSION=<n>"
#endif

#define STEP_STR_(x) #x
#define STEP_STR(x) STEP_STR_(x)

LINK_MIGRATION({
    .version = STEP_VERSION,
    .name = "step_" STEP_STR(STEP_VERSION),
    .description = "A bundle test step.",
    .up = [](link_migration::Context& ctx) { ctx.info("bundle-step up " STEP_STR(STEP_VERSION)); },
    .down = [](link_migration::Context& ctx) { ctx.info("bundle-step down " STEP_STR(STEP_VERSION)); },
});
