/* A valid shared library that is not a migration plugin: it exports a
 * function, but no `link_migration_plugin`. */
#include <link_migration/abi.h>

LM_EXPORT int lm_test_not_a_migration(void) { return 42; }
