# CPack: `cpack` in the build folder makes a Debian package of everything
# `cmake --install` installs (runner, stores, SDK headers and plugin entry,
# the CMake package, link-migration.pc, the examples, the copyright file and
# changelog), under /usr. lintian accepts it: tests/packaging/lintian_test.cmake.
# docs/packaging.md; tested by packaging.deb (tests/packaging/deb_test.cmake).
#
# The installed files locate each other relatively (the runner its stores,
# LinkMigrationConfig.cmake and link-migration.pc their prefix), so the
# package may use another prefix than the build was configured with.
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "link-migration")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_VENDOR "link-migration")
# Who answers for the package: set by whoever builds and ships it
# (-DLM_DEB_MAINTAINER="Jane Doe <jane@example.org>"). The default says that
# nobody did, in a form dpkg and lintian accept, at the reserved .invalid
# domain (RFC 2606), so that no mail goes anywhere.
set(LM_DEB_MAINTAINER "LM_DEB_MAINTAINER unset <unset@maintainer.invalid>" CACHE STRING
  "Maintainer field of the .deb and its changelog: \"Name <address>\"")
set(CPACK_PACKAGE_CONTACT "${LM_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${LM_DEB_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "schema and data migrations compiled to native plugins")
# One line each, under 80 characters, as Debian's control files want them.
set(CPACK_PACKAGE_DESCRIPTION "link-migration moves a database (or any target) up or down to a
version by running migrations built as shared-library plugins behind a
small, stable C ABI. The package holds the runner, the sqlite, json-file
and postgres version stores, the SDK for writing migrations (headers, CMake
package, pkg-config file) and the bookshop demo.")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
# Debug information stays in the build; the package ships stripped binaries.
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_PACKAGE_SECTION "database")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_FILE_NAME "DEB-DEFAULT")  # link-migration_<version>_<arch>.deb
# Depends: computed by dpkg-shlibdeps from what the runner and stores link.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Writing migrations needs a compiler and, for the demo's style, SQLite's headers.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "g++ | c++-compiler, cmake | pkg-config, libsqlite3-dev")

# What Debian asks of every package under /usr/share/doc/<package>: the
# copyright file (machine-readable format) and, this being a native package,
# changelog.gz compressed with gzip -9n (no name or time stamp, so the same
# sources make the same bytes). Installed by `cmake --install` too.
set(lm_deb_changelog "${PROJECT_BINARY_DIR}/debian/changelog")
configure_file("${CMAKE_CURRENT_LIST_DIR}/debian/changelog.in" "${lm_deb_changelog}" @ONLY)
add_custom_command(OUTPUT "${lm_deb_changelog}.gz"
  COMMAND sh -c "gzip -9n -c \"$0\" > \"$1\"" "${lm_deb_changelog}" "${lm_deb_changelog}.gz"
  DEPENDS "${lm_deb_changelog}"
  COMMENT "Compressing the Debian changelog"
  VERBATIM)
add_custom_target(link_migration_deb_changelog ALL DEPENDS "${lm_deb_changelog}.gz")
install(FILES "${CMAKE_CURRENT_LIST_DIR}/debian/copyright" DESTINATION "${CMAKE_INSTALL_DOCDIR}")
install(FILES "${lm_deb_changelog}.gz" DESTINATION "${CMAKE_INSTALL_DOCDIR}" RENAME changelog.gz)

include(CPack)
