# Helpers for the packaging tests, which are CMake scripts (cmake -P): they
# run real commands and parse the runner's JSON with string(JSON), so they
# need nothing beyond CMake itself. Every failure stops the test with the
# command, its exit code and its output.

# lm_run(COMMAND <arg>... [EXPECT <code>] [OUTPUT <var>] [ERROR <var>]
#        [WORKING_DIRECTORY <dir>])
# Runs one command; fails the test unless it exits with EXPECT (default 0).
function(lm_run)
  cmake_parse_arguments(ARG "" "EXPECT;OUTPUT;ERROR;WORKING_DIRECTORY" "COMMAND" ${ARGN})
  if(NOT DEFINED ARG_EXPECT)
    set(ARG_EXPECT 0)
  endif()
  set(where)
  if(ARG_WORKING_DIRECTORY)
    set(where WORKING_DIRECTORY "${ARG_WORKING_DIRECTORY}")
  endif()
  execute_process(COMMAND ${ARG_COMMAND} ${where}
    RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT "${code}" STREQUAL "${ARG_EXPECT}")
    string(REPLACE ";" " " shown "${ARG_COMMAND}")
    message(FATAL_ERROR "command exited with ${code}, expected ${ARG_EXPECT}:\n  ${shown}\n"
      "--- stdout ---\n${out}--- stderr ---\n${err}")
  endif()
  if(ARG_OUTPUT)
    set(${ARG_OUTPUT} "${out}" PARENT_SCOPE)
  endif()
  if(ARG_ERROR)
    set(${ARG_ERROR} "${err}" PARENT_SCOPE)
  endif()
endfunction()

# lm_expect_equal(<what> <actual> <expected>)
function(lm_expect_equal what actual expected)
  if(NOT "${actual}" STREQUAL "${expected}")
    message(FATAL_ERROR "${what}: expected\n  [${expected}]\ngot\n  [${actual}]")
  endif()
endfunction()

# lm_expect_contains(<what> <text> <needle>)
function(lm_expect_contains what text needle)
  string(FIND "${text}" "${needle}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${what}: [${needle}] not found in:\n${text}")
  endif()
endfunction()

# lm_expect_files(<file>...): each must exist.
function(lm_expect_files)
  foreach(file IN LISTS ARGN)
    if(NOT EXISTS "${file}")
      message(FATAL_ERROR "missing: ${file}")
    endif()
  endforeach()
endfunction()

# lm_write_sqlite_config(<file> <database> <location>... [BUNDLES_ONLY])
# Writes a conf.json: the sqlite store on <database> (relative to the file's
# folder), the given migration folders or bundles, and with BUNDLES_ONLY the
# trust rule that refuses plain plugin files.
function(lm_write_sqlite_config file database)
  cmake_parse_arguments(arg "BUNDLES_ONLY" "" "" ${ARGN})
  set(json "{\"migrations\": [], \"store\": {\"plugin\": \"sqlite\", \"options\": {\"database\": \"${database}\"}}}")
  set(index 0)
  foreach(location IN LISTS arg_UNPARSED_ARGUMENTS)
    string(JSON json SET "${json}" migrations ${index} "\"${location}\"")
    math(EXPR index "${index} + 1")
  endforeach()
  if(arg_BUNDLES_ONLY)
    string(JSON json SET "${json}" trust "{\"bundles_only\": true}")
  endif()
  file(WRITE "${file}" "${json}\n")
endfunction()

# lm_status(<runner> <config> <out prefix> [extra runner args...])
# Runs `-o json status` and sets <out prefix>_current (the current version)
# and <out prefix>_states ("<version>:<state>" for every version, in order).
function(lm_status runner config out)
  lm_run(COMMAND "${runner}" -c "${config}" ${ARGN} -o json status OUTPUT json)
  string(JSON current GET "${json}" current_version)
  string(JSON count LENGTH "${json}" versions)
  set(states)
  if(count GREATER 0)
    math(EXPR last "${count} - 1")
    foreach(i RANGE ${last})
      string(JSON version GET "${json}" versions ${i} version)
      string(JSON state GET "${json}" versions ${i} state)
      list(APPEND states "${version}:${state}")
    endforeach()
  endif()
  set(${out}_current "${current}" PARENT_SCOPE)
  set(${out}_states "${states}" PARENT_SCOPE)
  set(${out}_json "${json}" PARENT_SCOPE)
endfunction()

# lm_sql(<sqlite3> <database> <out> <sql>): the query's rows, one per line
# ("|" between columns), trailing newline stripped.
function(lm_sql sqlite3 database out sql)
  lm_run(COMMAND "${sqlite3}" "${database}" "${sql}" OUTPUT rows)
  string(STRIP "${rows}" rows)
  set(${out} "${rows}" PARENT_SCOPE)
endfunction()

# lm_exports(<nm> <library> <out>): the dynamic symbols the ELF library
# defines, sorted.
function(lm_exports nm library out)
  lm_run(COMMAND "${nm}" -D --defined-only --format=posix "${library}" OUTPUT listing)
  string(REGEX REPLACE "\n$" "" listing "${listing}")
  string(REPLACE "\n" ";" lines "${listing}")
  set(names)
  foreach(line IN LISTS lines)
    string(REGEX REPLACE " .*" "" name "${line}")
    list(APPEND names "${name}")
  endforeach()
  list(SORT names)
  set(${out} "${names}" PARENT_SCOPE)
endfunction()

# lm_cpack_deb(<work_dir> <out_var>): cpack builds the .deb under
# <work_dir>/cpack from BUILD_DIR; exactly one package, whose path goes to
# <out_var>.
function(lm_cpack_deb work_dir out_var)
  lm_run(COMMAND "${CPACK}" --config "${BUILD_DIR}/CPackConfig.cmake" -G DEB -B "${work_dir}/cpack")
  file(GLOB debs "${work_dir}/cpack/link-migration_${PROJECT_VERSION}_*.deb")
  list(LENGTH debs count)
  lm_expect_equal("packages cpack made" "${count}" "1")
  set(${out_var} "${debs}" PARENT_SCOPE)
endfunction()
