/* Defines the exported `link_migration_plugin` descriptor from the migrations
 * registered with LM_REGISTER_MIGRATION in the same library. Pure data: the
 * linker resolves the section bounds, so reading the descriptor runs no code. */
#include <link_migration/migration.h>

#ifndef LM_SDK_VERSION
#define LM_SDK_VERSION "unknown"
#endif

#if defined(_WIN32) || defined(__CYGWIN__)
/* PE linkers sort grouped sections by the text after '$': a < m < z. */
__attribute__((section("lm_migr$a"), used)) static const lm_migration* lm_section_first = 0;
__attribute__((section("lm_migr$z"), used)) static const lm_migration* lm_section_last = 0;
#define LM_SECTION_BEGIN (&lm_section_first + 1)
#define LM_SECTION_END (&lm_section_last)
#else
/* Weak: a library that registers nothing still links, and the runner then
 * reports that it exports no migrations. */
extern const lm_migration* __start_lm_migrations[] __attribute__((weak, visibility("hidden")));
extern const lm_migration* __stop_lm_migrations[] __attribute__((weak, visibility("hidden")));
#define LM_SECTION_BEGIN __start_lm_migrations
#define LM_SECTION_END __stop_lm_migrations
#endif

LM_EXPORT const lm_plugin link_migration_plugin = {
    sizeof(lm_plugin), LM_ABI_VERSION, (const lm_migration* const*)LM_SECTION_BEGIN,
    (const lm_migration* const*)LM_SECTION_END, LM_SDK_VERSION};
