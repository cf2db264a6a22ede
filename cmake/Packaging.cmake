# CPack: `cpack` in the build folder makes a Debian package of everything
# `cmake --install` installs (runner, stores, SDK headers and plugin entry,
# the CMake package, link-migration.pc, the examples), under /usr.
# docs/packaging.md; tested by packaging.deb (tests/packaging/deb_test.cmake).
#
# The installed files locate each other relatively (the runner its stores,
# LinkMigrationConfig.cmake and link-migration.pc their prefix), so the
# package may use another prefix than the build was configured with.
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "link-migration")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_VENDOR "link-migration")
set(CPACK_PACKAGE_CONTACT "link-migration maintainers <maintainers@users.noreply.r-seed-913b93b2.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "schema and data migrations compiled to native plugins")
set(CPACK_PACKAGE_DESCRIPTION "link-migration moves a database (or any target) up or down to a \
version by running migrations built as shared-library plugins behind a small, stable C ABI. \
The package holds the runner, the sqlite, json-file and postgres version stores, the SDK for \
writing migrations (headers, CMake package, pkg-config file) and the bookshop demo.")
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

include(CPack)
