# packaging.lintian: `cpack` builds the .deb and Debian's lintian checks it.
# Any error fails the test; warnings are printed (docs/packaging.md lists the
# ones the package still has, and why). Registered without lintian too: the
# test then fails and says what to install.
#
#   -DBUILD_DIR= -DWORK_DIR= -DCPACK= -DLINTIAN= -DPROJECT_VERSION=
include("${CMAKE_CURRENT_LIST_DIR}/check.cmake")

if(NOT LINTIAN)
  message(FATAL_ERROR "lintian not found: install Debian's lintian package (.ci/deps does)")
endif()

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
lm_cpack_deb("${WORK_DIR}" deb)

# --fail-on error: exit 2 when an error is found. Its tags go to stdout, one
# a line ("E: link-migration: <tag> [<file>]").
execute_process(COMMAND "${LINTIAN}" --fail-on error --no-tag-display-limit "${deb}"
  RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
string(REGEX MATCHALL "(^|\n)E: [^\n]*" errors "${out}")
string(REGEX MATCHALL "(^|\n)W: [^\n]*" warnings "${out}")
list(LENGTH errors error_count)
string(REPLACE "\n" "" warnings "${warnings}")
list(JOIN warnings "\n  " warnings)
message(STATUS "lintian's warnings:\n  ${warnings}")
if(NOT code EQUAL 0 OR NOT error_count EQUAL 0)
  message(FATAL_ERROR "lintian exited with ${code} and ${error_count} error(s):\n${out}${err}")
endif()
