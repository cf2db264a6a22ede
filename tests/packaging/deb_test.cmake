# packaging.deb: `cpack` builds the .deb; its control fields and file list
# are checked; then it is installed and used. As root (CI), `dpkg -i`, and
# packaging.deb.remove (deb_remove.cmake) removes it afterwards, also when this
# test fails. Otherwise, or with LM_TEST_DEB_EXTRACT=1 in the environment, or
# when a link-migration package this test did not install is already there,
# `dpkg-deb -x` into a folder and everything runs from there.
# From the installed files: the bookshop demo, from a copy of its conf.json,
# from its plugin folder and from its bundle; and a migration built with
# the packaged SDK through pkg-config.
#
#   -DBUILD_DIR= -DWORK_DIR= -DMARKER= -DCPACK= -DDPKG= -DDPKG_DEB= -DDPKG_QUERY=
#   -DBINDIR= -DLIBDIR= -DINCLUDEDIR= -DDATADIR= -DPROJECT_VERSION= -DSQLITE3=
#   -DPKG_CONFIG= -DC_COMPILER= -DCXX_COMPILER= -DNM= -DSOURCE_DIR= -DBUILD_SCRIPT=
include("${CMAKE_CURRENT_LIST_DIR}/check.cmake")

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

# --- build it ---------------------------------------------------------------
lm_cpack_deb("${WORK_DIR}" deb)

lm_run(COMMAND "${DPKG_DEB}" -f "${deb}" Package Version Section OUTPUT fields)
lm_expect_equal("control fields" "${fields}"
  "Package: link-migration\nVersion: ${PROJECT_VERSION}\nSection: database\n")
lm_run(COMMAND "${DPKG_DEB}" -f "${deb}" Depends OUTPUT depends)
foreach(library IN ITEMS libc6 libstdc++6 libsqlite3-0 libsodium23)
  lm_expect_contains("Depends (dpkg-shlibdeps)" "${depends}" "${library}")
endforeach()

lm_run(COMMAND "${DPKG_DEB}" -c "${deb}" OUTPUT listing)
set(usr "./usr")
foreach(path IN ITEMS
    "${BINDIR}/link-migration"
    "${LIBDIR}/link-migration/stores/sqlite.so"
    "${LIBDIR}/link-migration/stores/json-file.so"
    "${LIBDIR}/link-migration/stores/postgres.so"
    "${LIBDIR}/liblink_migration_plugin.a"
    "${LIBDIR}/pkgconfig/link-migration.pc"
    "${LIBDIR}/cmake/LinkMigration/LinkMigrationConfig.cmake"
    "${LIBDIR}/cmake/LinkMigration/LinkMigrationTargets.cmake"
    "${LIBDIR}/cmake/LinkMigration/LinkMigrationHelpers.cmake"
    "${LIBDIR}/cmake/LinkMigration/migration_exports.map"
    "${INCLUDEDIR}/link_migration/abi.h"
    "${INCLUDEDIR}/link_migration/migration.h"
    "${INCLUDEDIR}/link_migration/migration.hpp"
    "${INCLUDEDIR}/link_migration/sqlite.hpp"
    "${INCLUDEDIR}/link_migration/store.h"
    "${LIBDIR}/link-migration/examples/conf.json"
    "${LIBDIR}/link-migration/examples/conf-bundle.json"
    "${LIBDIR}/link-migration/examples/bookshop.lmbundle"
    "${LIBDIR}/link-migration/examples/migrations/example_001_create_catalog.so"
    "${LIBDIR}/link-migration/examples/migrations/example_bundle_reporting.so"
    "${DATADIR}/man/man1/link-migration.1.gz"
    "${DATADIR}/doc/link-migration/copyright"
    "${DATADIR}/doc/link-migration/changelog.gz")
  lm_expect_contains("dpkg-deb -c" "${listing}" " ${usr}/${path}\n")
endforeach()
# Everything under /usr: nothing of the build folder or of /usr/local.
string(REGEX MATCHALL " \\./[^\n]*" paths "${listing}")
foreach(path IN LISTS paths)
  if(NOT path MATCHES "^ \\./(usr(/.*)?)?$")
    message(FATAL_ERROR "the package installs outside /usr:${path}")
  endif()
endforeach()

# --- install it ---------------------------------------------------------------
execute_process(COMMAND id -u OUTPUT_VARIABLE uid OUTPUT_STRIP_TRAILING_WHITESPACE)
set(mode dpkg)
if(NOT uid STREQUAL "0" OR "$ENV{LM_TEST_DEB_EXTRACT}")
  set(mode extract)
elseif(NOT EXISTS "${MARKER}")
  execute_process(COMMAND "${DPKG_QUERY}" -W -f=\${Status} link-migration
    OUTPUT_VARIABLE status ERROR_QUIET)
  if(status MATCHES "installed")
    message(STATUS "a link-migration package is installed already: not touching it; extracting instead")
    set(mode extract)
  endif()
endif()
if(mode STREQUAL "dpkg")
  # Written first: packaging.deb.remove removes even a half-installed package.
  file(WRITE "${MARKER}" "${deb}\n")
  lm_run(COMMAND "${DPKG}" -i "${deb}")
  set(root "")
else()
  set(root "${WORK_DIR}/root")
  lm_run(COMMAND "${DPKG_DEB}" -x "${deb}" "${root}")
endif()
message(STATUS "installed by ${mode} at ${root}/usr")
set(runner "${root}/usr/${BINDIR}/link-migration")
set(examples "${root}/usr/${LIBDIR}/link-migration/examples")

# --- the demo, from a copy of the installed conf.json -------------------------
set(demo "${WORK_DIR}/demo")
file(COPY "${examples}/conf.json" "${examples}/conf-bundle.json" DESTINATION "${demo}")
lm_run(COMMAND "${runner}" -c "${demo}/conf.json" -m "${examples}/migrations" --up)
lm_status("${runner}" "${demo}/conf.json" status -m "${examples}/migrations")
lm_expect_equal("demo version" "${status_current}" "9")
lm_sql("${SQLITE3}" "${demo}/demo.db" rows "SELECT count(*) || ' ' || group_concat(DISTINCT currency) FROM books")
lm_expect_equal("demo books" "${rows}" "6 EUR")
lm_run(COMMAND "${runner}" -c "${demo}/conf.json" -m "${examples}/migrations" --to=7)
lm_status("${runner}" "${demo}/conf.json" status -m "${examples}/migrations")
lm_expect_equal("demo version after --to=7" "${status_current}" "7")

lm_run(COMMAND "${runner}" -c "${demo}/conf-bundle.json" -m "${examples}/bookshop.lmbundle" --up)
lm_status("${runner}" "${demo}/conf-bundle.json" status -m "${examples}/bookshop.lmbundle")
lm_expect_equal("demo version from the bundle" "${status_current}" "9")

# --- the packaged SDK, through pkg-config -------------------------------------
set(sdk "${WORK_DIR}/sdk")
lm_run(COMMAND "${CMAKE_COMMAND}" -E env "PKG_CONFIG_PATH=${root}/usr/${LIBDIR}/pkgconfig"
  "PKG_CONFIG=${PKG_CONFIG}" "CC=${C_COMPILER}" "CXX=${CXX_COMPILER}"
  sh "${BUILD_SCRIPT}" "${SOURCE_DIR}/migrations" "${sdk}/migrations")
lm_exports("${NM}" "${sdk}/migrations/notes_001_create_notes.so" exported)
lm_expect_equal("symbols exported by a plugin built with the package" "${exported}" "link_migration_plugin")
lm_write_sqlite_config("${sdk}/conf.json" notes.db migrations)
lm_run(COMMAND "${runner}" -c "${sdk}/conf.json" up)
lm_status("${runner}" "${sdk}/conf.json" status)
lm_expect_equal("states of the SDK-built plugins" "${status_states}" "1:applied;2:applied")
