// Two migrations, 10 and 11, in one plugin: a bundle file whose manifest
// lists more than one migration.
#include <link_migration/migration.hpp>

LINK_MIGRATION({
    .version = 11,
    .name = "pair_11",
    .up = [](link_migration::Context& ctx) { ctx.info("bundle-step up 11"); },
    .down = [](link_migration::Context& ctx) { ctx.info("bundle-step down 11"); },
});

LINK_MIGRATION({
    .version = 10,
    .name = "pair_10",
    .up = [](link_migration::Context& ctx) { ctx.info("bundle-step up 10"); },
    .down = [](link_migration::Context& ctx) { ctx.info("bundle-step down 10"); },
});
