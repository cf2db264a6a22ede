# packaging.deb.remove: the cleanup of packaging.deb. Removes the package only
# when packaging.deb installed it (its marker file), also after a failure,
# and checks that the runner went with it.
#
#   -DMARKER= -DDPKG= -DBINDIR=
include("${CMAKE_CURRENT_LIST_DIR}/check.cmake")

if(NOT EXISTS "${MARKER}")
  return()  # extracted, not installed: nothing on the system to undo
endif()
lm_run(COMMAND "${DPKG}" -r link-migration)
file(REMOVE "${MARKER}")
if(EXISTS "/usr/${BINDIR}/link-migration")
  message(FATAL_ERROR "dpkg -r link-migration left /usr/${BINDIR}/link-migration behind")
endif()
