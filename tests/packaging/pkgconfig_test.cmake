# packaging.pkgconfig: the consumer's migrations built with a plain compiler
# command and `pkg-config --cflags --libs link-migration` against the
# installed prefix (pkgconfig_build.sh), then run by the installed runner.
#
#   -DPREFIX= -DBINDIR= -DLIBDIR= -DSOURCE_DIR= -DWORK_DIR= -DBUILD_SCRIPT=
#   -DC_COMPILER= -DCXX_COMPILER= -DNM= -DSQLITE3= -DPKG_CONFIG=
include("${CMAKE_CURRENT_LIST_DIR}/check.cmake")

set(runner "${PREFIX}/${BINDIR}/link-migration")
set(env "${CMAKE_COMMAND}" -E env "PKG_CONFIG_PATH=${PREFIX}/${LIBDIR}/pkgconfig")
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

# The .pc file locates the prefix from its own folder.
lm_run(COMMAND ${env} "${PKG_CONFIG}" --variable=prefix link-migration OUTPUT pc_prefix)
string(STRIP "${pc_prefix}" pc_prefix)
file(REAL_PATH "${pc_prefix}" pc_prefix)
file(REAL_PATH "${PREFIX}" real_prefix)
lm_expect_equal("pkg-config prefix" "${pc_prefix}" "${real_prefix}")
lm_run(COMMAND ${env} "${PKG_CONFIG}" --modversion link-migration OUTPUT pc_version)
string(STRIP "${pc_version}" pc_version)
lm_expect_equal("pkg-config version" "${pc_version}" "${PROJECT_VERSION}")

set(plugins "${WORK_DIR}/migrations")
lm_run(COMMAND ${env} "CC=${C_COMPILER}" "CXX=${CXX_COMPILER}" "PKG_CONFIG=${PKG_CONFIG}"
  sh "${BUILD_SCRIPT}" "${SOURCE_DIR}/migrations" "${plugins}")
foreach(plugin IN ITEMS notes_001_create_notes notes_002_tag_notes)
  lm_exports("${NM}" "${plugins}/${plugin}.so" exported)
  lm_expect_equal("symbols exported by ${plugin}.so" "${exported}" "link_migration_plugin")
endforeach()

lm_write_sqlite_config("${WORK_DIR}/conf.json" notes.db migrations)
lm_run(COMMAND "${runner}" -c "${WORK_DIR}/conf.json" up)
lm_status("${runner}" "${WORK_DIR}/conf.json" status)
lm_expect_equal("states after up" "${status_states}" "1:applied;2:applied")
# The shell's checksum matches what the CMake helper would have defined.
file(SHA256 "${SOURCE_DIR}/migrations/002_tag_notes.c" c_digest)
string(JSON checksum GET "${status_json}" versions 1 checksum)
lm_expect_equal("checksum of version 2" "${checksum}" "sha256:${c_digest}")
lm_sql("${SQLITE3}" "${WORK_DIR}/notes.db" rows "SELECT count(*) FROM tags")
lm_expect_equal("tags after up" "${rows}" "2")

lm_run(COMMAND "${runner}" -c "${WORK_DIR}/conf.json" down)
lm_status("${runner}" "${WORK_DIR}/conf.json" status)
lm_expect_equal("states after down" "${status_states}" "1:pending;2:pending")
