# packaging.install: `cmake --install` of the build tree into a fresh prefix,
# which the consumer and pkg-config tests then use (fixture lm_installed).
# Checks the GNUInstallDirs layout the docs promise.
#
#   -DBUILD_DIR= -DPREFIX= -DBINDIR= -DLIBDIR= -DINCLUDEDIR= -DDATADIR=
include("${CMAKE_CURRENT_LIST_DIR}/check.cmake")

file(REMOVE_RECURSE "${PREFIX}")
lm_run(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}")

lm_expect_files(
  "${PREFIX}/${BINDIR}/link-migration"
  "${PREFIX}/${LIBDIR}/link-migration/stores/sqlite.so"
  "${PREFIX}/${LIBDIR}/link-migration/stores/json-file.so"
  "${PREFIX}/${LIBDIR}/liblink_migration_plugin.a"
  "${PREFIX}/${LIBDIR}/pkgconfig/link-migration.pc"
  "${PREFIX}/${LIBDIR}/cmake/LinkMigration/LinkMigrationConfig.cmake"
  "${PREFIX}/${LIBDIR}/cmake/LinkMigration/LinkMigrationConfigVersion.cmake"
  "${PREFIX}/${LIBDIR}/cmake/LinkMigration/LinkMigrationTargets.cmake"
  "${PREFIX}/${LIBDIR}/cmake/LinkMigration/LinkMigrationHelpers.cmake"
  "${PREFIX}/${LIBDIR}/cmake/LinkMigration/migration_exports.map"
  "${PREFIX}/${INCLUDEDIR}/link_migration/abi.h"
  "${PREFIX}/${INCLUDEDIR}/link_migration/migration.h"
  "${PREFIX}/${INCLUDEDIR}/link_migration/migration.hpp"
  "${PREFIX}/${INCLUDEDIR}/link_migration/store.h"
  "${PREFIX}/${LIBDIR}/link-migration/examples/conf.json"
  "${PREFIX}/${LIBDIR}/link-migration/examples/bookshop.lmbundle")

# The installed runner starts and names its own version.
lm_run(COMMAND "${PREFIX}/${BINDIR}/link-migration" --package-version OUTPUT version)
lm_expect_contains("--package-version" "${version}" "${PROJECT_VERSION}")
