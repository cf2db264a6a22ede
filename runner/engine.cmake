# The engine library (everything but main) and the link-migration executable.

# docs/conf.schema.json compiled in, so the schema the runner enforces is the
# one the docs publish; editing it re-runs CMake.
file(READ "${PROJECT_SOURCE_DIR}/docs/conf.schema.json" LM_CONFIG_SCHEMA_TEXT)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/docs/conf.schema.json")
set(LM_CONFIG_SCHEMA_CC "${CMAKE_CURRENT_BINARY_DIR}/config_schema_text.cc")
configure_file(src/config/config_schema_text.cc.in "${LM_CONFIG_SCHEMA_CC}" @ONLY)
add_library(link_migration_engine STATIC
  src/catalog/bundle.cc
  src/cli/bundle_tool.cc
  src/catalog/catalog.cc
  src/config/config.cc
  src/config/config_schema.cc
  ${LM_CONFIG_SCHEMA_CC}
  src/catalog/descriptor_probe.cc
  src/catalog/discovery.cc
  src/plan/drift.cc
  src/run/engine.cc
  src/run/engine_recovery.cc
  src/config/env_expand.cc
  src/base/environment.cc
  src/run/executor.cc
  src/catalog/library_file.cc
  src/plan/plan.cc
  src/catalog/plugin_library.cc
  src/base/relay_format.cc
  src/run/step_context.cc
  src/run/supervisor.cc
  src/catalog/tar_archive.cc
  src/run/worker_relay.cc
  src/store/store_host.cc
  src/catalog/private_group.cc
  src/catalog/trust.cc
  src/store/version_store.cc)
target_include_directories(link_migration_engine PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/src)
target_link_libraries(link_migration_engine PUBLIC
  LinkMigration::sdk Boost::headers nlohmann_json::nlohmann_json PkgConfig::sodium Threads::Threads lm_atomic_file
  ${CMAKE_DL_LIBS})
# Boost.DLL on std::filesystem: no Boost.Filesystem library to map at every start.
target_compile_definitions(link_migration_engine PUBLIC BOOST_DLL_USE_STD_FS)
target_compile_definitions(link_migration_engine PRIVATE LM_RUNNER_VERSION="${PROJECT_VERSION}")

file(RELATIVE_PATH LM_STORE_DIR_FROM_BIN
  "${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}" "${CMAKE_INSTALL_PREFIX}/${LM_STORE_SUBDIR}")
add_executable(link-migration src/cli/main.cc src/cli/cli.cc src/cli/cli_bundle.cc src/cli/cli_commands.cc src/cli/cli_io.cc
  src/cli/cli_new.cc src/cli/cli_options.cc src/cli/completion.cc src/cli/human_reporter.cc src/cli/json_reporter.cc src/cli/palette.cc
  src/cli/scaffold.cc src/cli/text_table.cc)
target_link_libraries(link-migration PRIVATE link_migration_engine Boost::program_options)
target_compile_definitions(link-migration PRIVATE
  LM_STORE_DIR_FROM_BIN="${LM_STORE_DIR_FROM_BIN}" LM_RUNNER_VERSION="${PROJECT_VERSION}")
install(TARGETS link-migration RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
