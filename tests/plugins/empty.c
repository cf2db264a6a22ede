/* A plugin built with the SDK's entry but registering no migration. */
#include <link_migration/migration.h>

typedef int lm_test_nothing_registered;
