# packaging.consumer: a migration author's project (consumer/) configured and
# built out of tree against the installed prefix with find_package(LinkMigration),
# then its two migrations and its bundle run by the INSTALLED runner on the
# sqlite store: up, status, down, checked in the JSON status and in the
# database itself.
#
#   -DPREFIX= -DBINDIR= -DLIBDIR= -DSOURCE_DIR= -DWORK_DIR= -DGENERATOR=
#   -DC_COMPILER= -DCXX_COMPILER= -DNM= -DSQLITE3=
include("${CMAKE_CURRENT_LIST_DIR}/check.cmake")

set(build "${WORK_DIR}/build")
set(run "${WORK_DIR}/run")
set(runner "${PREFIX}/${BINDIR}/link-migration")
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${run}")

# CMAKE_PREFIX_PATH is all an author sets; find_package must take the
# package from this prefix, not from one installed elsewhere (a .deb).
lm_run(COMMAND "${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${build}" -G "${GENERATOR}"
  "-DCMAKE_PREFIX_PATH=${PREFIX}" "-DCMAKE_C_COMPILER=${C_COMPILER}"
  "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}" -DCMAKE_BUILD_TYPE=Release)
file(STRINGS "${build}/CMakeCache.txt" package_dir REGEX "^LinkMigration_DIR:")
lm_expect_equal("LinkMigration_DIR" "${package_dir}"
  "LinkMigration_DIR:PATH=${PREFIX}/${LIBDIR}/cmake/LinkMigration")
lm_run(COMMAND "${CMAKE_COMMAND}" --build "${build}" -j2)

set(cpp_plugin "${build}/migrations/notes_001_create_notes.so")
set(c_plugin "${build}/migrations/notes_002_tag_notes.so")
set(bundle "${build}/dist/notes.lmbundle")
lm_expect_files("${cpp_plugin}" "${c_plugin}" "${bundle}")
foreach(plugin IN ITEMS "${cpp_plugin}" "${c_plugin}")
  lm_exports("${NM}" "${plugin}" exported)
  lm_expect_equal("symbols exported by ${plugin}" "${exported}" "link_migration_plugin")
endforeach()

# --- the two plugins from a folder ---------------------------------------
lm_write_sqlite_config("${run}/conf.json" notes.db "${build}/migrations")
set(db "${run}/notes.db")

lm_run(COMMAND "${runner}" -c "${run}/conf.json" up OUTPUT out)
lm_expect_contains("up output" "${out}" "created table notes")
lm_expect_contains("up output" "${out}" "tagging notes from plain C")

lm_status("${runner}" "${run}/conf.json" status)
lm_expect_equal("current version after up" "${status_current}" "2")
lm_expect_equal("states after up" "${status_states}" "1:applied;2:applied")
# The checksums the CMake helper computed: SHA-256 of each source's text.
file(SHA256 "${SOURCE_DIR}/migrations/001_create_notes.cpp" cpp_digest)
file(SHA256 "${SOURCE_DIR}/migrations/002_tag_notes.c" c_digest)
string(JSON checksum GET "${status_json}" versions 0 checksum)
lm_expect_equal("checksum of version 1" "${checksum}" "sha256:${cpp_digest}")
string(JSON checksum GET "${status_json}" versions 1 checksum)
lm_expect_equal("checksum of version 2" "${checksum}" "sha256:${c_digest}")
string(JSON plugin GET "${status_json}" versions 1 plugin)
lm_expect_equal("plugin of version 2" "${plugin}" "${c_plugin}")

lm_sql("${SQLITE3}" "${db}" rows
  "SELECT n.body || ':' || t.tag FROM notes n JOIN tags t ON t.note_id = n.id ORDER BY n.id")
lm_expect_equal("tagged notes after up" "${rows}" "written by C++:plain-c\nwritten by C:plain-c")

lm_run(COMMAND "${runner}" -c "${run}/conf.json" down --steps 1)
lm_status("${runner}" "${run}/conf.json" status)
lm_expect_equal("states after down --steps 1" "${status_states}" "1:applied;2:pending")
lm_sql("${SQLITE3}" "${db}" rows "SELECT name FROM sqlite_master WHERE name IN ('notes', 'tags')")
lm_expect_equal("tables after down --steps 1" "${rows}" "notes")
lm_sql("${SQLITE3}" "${db}" rows "SELECT body FROM notes")
lm_expect_equal("notes after down --steps 1" "${rows}" "written by C++")

lm_run(COMMAND "${runner}" -c "${run}/conf.json" down)
lm_status("${runner}" "${run}/conf.json" status)
lm_expect_equal("current version after down" "${status_current}" "0")
lm_expect_equal("states after down" "${status_states}" "1:pending;2:pending")
lm_sql("${SQLITE3}" "${db}" rows "SELECT name FROM sqlite_master WHERE name IN ('notes', 'tags')")
lm_expect_equal("tables after down" "${rows}" "")

# --- the same migrations from the bundle link_migration_add_bundle built ----
lm_run(COMMAND "${runner}" bundle verify "${bundle}")
lm_write_sqlite_config("${run}/conf-bundle.json" bundle.db "${bundle}" BUNDLES_ONLY)
lm_run(COMMAND "${runner}" -c "${run}/conf-bundle.json" up)
lm_status("${runner}" "${run}/conf-bundle.json" status)
lm_expect_equal("states after up from the bundle" "${status_states}" "1:applied;2:applied")
string(JSON plugin GET "${status_json}" versions 1 plugin)
lm_expect_contains("plugin of version 2 from the bundle" "${plugin}" "notes.lmbundle:")
lm_sql("${SQLITE3}" "${run}/bundle.db" rows "SELECT count(*) FROM tags")
lm_expect_equal("tags from the bundle" "${rows}" "2")
lm_run(COMMAND "${runner}" -c "${run}/conf-bundle.json" down)
lm_status("${runner}" "${run}/conf-bundle.json" status)
lm_expect_equal("current version after down from the bundle" "${status_current}" "0")
