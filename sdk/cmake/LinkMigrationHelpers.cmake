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
#
#   link_migration_add_bundle(<target> OUTPUT <file> NAME <name> VERSION <version>
#                             MIGRATIONS <migration target>...)
#     Builds a migration bundle (docs/bundles.md) from migration plugin
#     targets, with `link-migration bundle create`: the target <target> (part
#     of ALL) makes <file> (relative paths are under the current binary
#     folder), and remakes it whenever a plugin is rebuilt. The runner used is
#     ${LINK_MIGRATION_EXECUTABLE} (set by find_package(LinkMigration) to the
#     installed one) or, inside link-migration's own build, its
#     `link-migration` target. Signing is left to the release process
#     (`link-migration bundle sign`): a secret key does not belong in a build.

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

function(link_migration_add_bundle target)
  cmake_parse_arguments(ARG "" "OUTPUT;NAME;VERSION" "MIGRATIONS" ${ARGN})
  foreach(required IN ITEMS OUTPUT NAME VERSION MIGRATIONS)
    if(NOT DEFINED ARG_${required} OR "${ARG_${required}}" STREQUAL "")
      message(FATAL_ERROR "link_migration_add_bundle(${target}): ${required} is required")
    endif()
  endforeach()
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "link_migration_add_bundle(${target}): unexpected arguments: ${ARG_UNPARSED_ARGUMENTS}")
  endif()

  if(LINK_MIGRATION_EXECUTABLE)
    set(runner "${LINK_MIGRATION_EXECUTABLE}")
    set(runner_dependency "${LINK_MIGRATION_EXECUTABLE}")
  else()
    # Inside link-migration's own build: the target, resolved at generate
    # time, so it may be defined after this call.
    set(runner "$<TARGET_FILE:link-migration>")
    set(runner_dependency link-migration)
  endif()

  get_filename_component(output "${ARG_OUTPUT}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
  get_filename_component(output_dir "${output}" DIRECTORY)
  set(plugins)
  foreach(migration IN LISTS ARG_MIGRATIONS)
    list(APPEND plugins "$<TARGET_FILE:${migration}>")
  endforeach()

  # DEPENDS on the targets: built first, and the bundle is remade when one
  # of their files changes. `bundle create` writes OUT.part and renames it,
  # so an interrupted build never leaves half a bundle under the real name.
  add_custom_command(OUTPUT "${output}"
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${output_dir}"
    COMMAND "${runner}" bundle create "${output}" --name "${ARG_NAME}" --bundle-version "${ARG_VERSION}" ${plugins}
    DEPENDS ${ARG_MIGRATIONS} ${runner_dependency}
    COMMENT "Bundling ${ARG_NAME} ${ARG_VERSION} into ${output}"
    VERBATIM)
  add_custom_target(${target} ALL DEPENDS "${output}")
  set_target_properties(${target} PROPERTIES LINK_MIGRATION_BUNDLE_FILE "${output}")
endfunction()
