# packaging.mingw_exports: migration plugins cross-built for Windows with
# Debian's mingw-w64 toolchain export exactly what the ABI promises.
#  - the public headers compile for Windows with -pedantic -Werror;
#  - the SDK's plugin entry becomes a static library, as on Linux;
#  - the example bundle library (C++, three migrations, calling SQLite) and
#    the plain C migration link into DLLs (SQLite through an import library
#    made from what the objects call: Debian ships no Windows SQLite);
#  - `objdump -p` lists exactly link_migration_plugin in each export table,
#    and lm_pe_descriptor reads the descriptor's data from the file: the
#    migrations registered through the '$'-grouped linker section;
#  - without --undefined=link_migration_plugin the entry is not linked in
#    and the check sees an empty export table, so it can fail.
#
#   -DMISSING= -DMINGW_CC= -DMINGW_CXX= -DMINGW_AR= -DMINGW_NM= -DMINGW_OBJDUMP=
#   -DMINGW_DLLTOOL= -DSDK_INCLUDE= -DPLUGIN_ENTRY= -DEXAMPLE_SOURCE= -DC_SOURCE=
#   -DHEADERS_DIR= -DSQLITE_HEADER= -DPE_READER= -DWORK_DIR= -DPROJECT_VERSION=
include("${CMAKE_CURRENT_LIST_DIR}/check.cmake")

if(MISSING)
  message(FATAL_ERROR "mingw-w64 tools not found (${MISSING}): install gcc-mingw-w64-x86-64 "
    "and g++-mingw-w64-x86-64 (.ci/deps does) and re-run cmake")
endif()

set(w "${WORK_DIR}")
file(REMOVE_RECURSE "${w}")
# SQLite's header alone: the host's /usr/include must not shadow mingw's.
file(COPY "${SQLITE_HEADER}" DESTINATION "${w}/include")
set(warnings -Wall -Wextra -Werror)

# The headers, Windows branch (LM_EXPORT, the '$' section names).
lm_run(COMMAND "${MINGW_CC}" -std=c11 ${warnings} -pedantic "-I${SDK_INCLUDE}"
  -c "${HEADERS_DIR}/headers.c" -o "${w}/headers_c.o")
lm_run(COMMAND "${MINGW_CXX}" -std=c++20 ${warnings} -pedantic "-I${SDK_INCLUDE}" "-I${w}/include"
  -c "${HEADERS_DIR}/headers.cpp" -o "${w}/headers_cxx.o")

# The plugin entry, compiled as sdk/CMakeLists.txt compiles it.
lm_run(COMMAND "${MINGW_CC}" -std=c11 ${warnings} -O2 "-I${SDK_INCLUDE}"
  "-DLM_SDK_VERSION=\"${PROJECT_VERSION}\"" -c "${PLUGIN_ENTRY}" -o "${w}/plugin_entry.o")
lm_run(COMMAND "${MINGW_AR}" rcs "${w}/liblink_migration_plugin.a" "${w}/plugin_entry.o")

# The migrations, compiled as link_migration_add_migration() compiles them.
file(SHA256 "${EXAMPLE_SOURCE}" example_digest)
file(SHA256 "${C_SOURCE}" c_digest)
lm_run(COMMAND "${MINGW_CXX}" -std=c++20 ${warnings} -O2 -fvisibility=hidden -fvisibility-inlines-hidden
  "-I${SDK_INCLUDE}" "-I${w}/include" "-DLM_SOURCE_CHECKSUM=\"sha256:${example_digest}\""
  -c "${EXAMPLE_SOURCE}" -o "${w}/example.o")
lm_run(COMMAND "${MINGW_CC}" -std=c11 ${warnings} -O2 -fvisibility=hidden
  "-I${SDK_INCLUDE}" "-I${w}/include" "-DLM_SOURCE_CHECKSUM=\"sha256:${c_digest}\""
  -c "${C_SOURCE}" -o "${w}/tag_notes.o")

# sqlite3.dll's import library: every sqlite3_* function the objects call.
lm_run(COMMAND "${MINGW_NM}" -u "${w}/example.o" "${w}/tag_notes.o" OUTPUT undefined)
string(REGEX MATCHALL "sqlite3_[A-Za-z0-9_]+" sqlite_functions "${undefined}")
list(REMOVE_DUPLICATES sqlite_functions)
list(JOIN sqlite_functions "\n" exports)
file(WRITE "${w}/sqlite3.def" "LIBRARY sqlite3.dll\nEXPORTS\n${exports}\n")
lm_run(COMMAND "${MINGW_DLLTOOL}" -d "${w}/sqlite3.def" -l "${w}/libsqlite3.dll.a")

set(entry -Wl,--undefined=link_migration_plugin "-L${w}" -llink_migration_plugin)
set(runtime -lsqlite3 -static-libgcc)
lm_run(COMMAND "${MINGW_CXX}" -shared -o "${w}/bundle_reporting.dll" "${w}/example.o"
  ${entry} ${runtime} -static-libstdc++)
lm_run(COMMAND "${MINGW_CC}" -shared -o "${w}/tag_notes.dll" "${w}/tag_notes.o" ${entry} ${runtime})
lm_run(COMMAND "${MINGW_CC}" -shared -o "${w}/no_entry.dll" "${w}/tag_notes.o"
  "-L${w}" -llink_migration_plugin ${runtime})

# lm_pe_exports(<dll> <out>): the names in the DLL's export table, per objdump.
function(lm_pe_exports dll out)
  lm_run(COMMAND "${MINGW_OBJDUMP}" -p "${dll}" OUTPUT dump)
  lm_expect_contains("objdump -p ${dll}" "${dump}" "file format pei-x86-64")
  set(names)
  string(FIND "${dump}" "[Ordinal/Name Pointer] Table" table)
  if(NOT table EQUAL -1)
    string(SUBSTRING "${dump}" ${table} -1 dump)
    string(REGEX REPLACE "\n\n.*" "" dump "${dump}")  # the table ends at a blank line
    string(REGEX MATCHALL "\\[ *[0-9]+\\] [^\n]+" rows "${dump}")
    foreach(row IN LISTS rows)
      string(REGEX REPLACE "^\\[ *[0-9]+\\] " "" name "${row}")
      list(APPEND names "${name}")
    endforeach()
  endif()
  set(${out} "${names}" PARENT_SCOPE)
endfunction()

lm_pe_exports("${w}/bundle_reporting.dll" exported)
lm_expect_equal("export table of bundle_reporting.dll" "${exported}" "link_migration_plugin")
lm_pe_exports("${w}/tag_notes.dll" exported)
lm_expect_equal("export table of tag_notes.dll" "${exported}" "link_migration_plugin")
lm_pe_exports("${w}/no_entry.dll" exported)
lm_expect_equal("export table of no_entry.dll (linked without --undefined)" "${exported}" "")

# lm_pe_descriptor_lines(<dll> <out>): lm_pe_descriptor's lines, sorted.
function(lm_pe_descriptor_lines dll out)
  lm_run(COMMAND "${PE_READER}" "${dll}" OUTPUT text)
  string(STRIP "${text}" text)
  string(REPLACE "\n" ";" lines "${text}")
  list(SORT lines)
  set(${out} "${lines}" PARENT_SCOPE)
endfunction()

set(descriptor "descriptor 32 1 ${PROJECT_VERSION}")
lm_pe_descriptor_lines("${w}/bundle_reporting.dll" lines)
lm_expect_equal("descriptor of bundle_reporting.dll" "${lines}"
  "${descriptor};export link_migration_plugin;migration 7 create_report_books reversible sha256:${example_digest};migration 8 create_report_catalog_value reversible sha256:${example_digest};migration 9 create_report_author_titles reversible sha256:${example_digest}")
lm_pe_descriptor_lines("${w}/tag_notes.dll" lines)
lm_expect_equal("descriptor of tag_notes.dll" "${lines}"
  "${descriptor};export link_migration_plugin;migration 2 tag_notes reversible sha256:${c_digest}")
lm_run(COMMAND "${PE_READER}" "${w}/no_entry.dll" EXPECT 1 ERROR err)
lm_expect_contains("lm_pe_descriptor on no_entry.dll" "${err}" "no export named link_migration_plugin")
