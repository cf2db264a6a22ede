# CMake helpers for link-migration plugin authors.
#
#   link_migration_add_migration(<target> SOURCES <src>... [OUTPUT_DIRECTORY <dir>])
#     Builds a migration plugin: a MODULE library named exactly <target> plus
#     the platform suffix (no "lib" prefix), hidden visibility, exporting only
#     the migration descriptor. Each source gets LM_SOURCE_CHECKSUM, the
#     SHA-256 of its text with CRLF folded to LF, so a migration's checksum
#     is the same on every rebuild and compiler and changes with its source.
#
#   link_migration_add_store(<target> SOURCES <src>... [OUTPUT_DIRECTORY <dir>])
#     Builds a version-store plugin the same way, exporting only the store
#     entry points.

if(NOT LINK_MIGRATION_HELPERS_DIR)
  set(LINK_MIGRATION_HELPERS_DIR "${CMAKE_CURRENT_LIST_DIR}")
endif()

function(_link_migration_module target kind)
  cmake_parse_arguments(ARG "" "OUTPUT_DIRECTORY" "SOURCES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "link_migration_add_${kind}(${target}): SOURCES is required")
  endif()
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE LinkMigration::sdk)
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIRECTORY}")
  endif()
  if(NOT WIN32 AND NOT APPLE)
    target_link_options(${target} PRIVATE
      "LINKER:--version-script=${LINK_MIGRATION_HELPERS_DIR}/${kind}_exports.map"
      "LINKER:--no-undefined")
  endif()
endfunction()

function(_link_migration_source_checksums)
  foreach(source IN LISTS ARGN)
    get_filename_component(path "${source}" ABSOLUTE)
    file(READ "${path}" text)
    string(REPLACE "\r\n" "\n" text "${text}")
    string(SHA256 digest "${text}")
    set_property(SOURCE "${source}" APPEND PROPERTY COMPILE_DEFINITIONS
      "LM_SOURCE_CHECKSUM=\"sha256:${digest}\"")
    # Re-hash when the source changes.
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${path}")
  endforeach()
endfunction()

function(link_migration_add_migration target)
  cmake_parse_arguments(ARG "" "OUTPUT_DIRECTORY" "SOURCES" ${ARGN})
  _link_migration_module(${target} migration ${ARGN})
  target_link_libraries(${target} PRIVATE LinkMigration::plugin_entry)
  _link_migration_source_checksums(${ARG_SOURCES})
endfunction()

function(link_migration_add_store target)
  _link_migration_module(${target} store ${ARGN})
endfunction()
