# The engine library (everything but main) and the link-migration executable.

# docs/conf.schema.json compiled in, so the schema the runner enforces is the
# one the docs publish; editing it re-runs CMake.
file(READ "${PROJECT_SOURCE_DIR}/docs/conf.schema.json" LM_CONFIG_SCHEMA_TEXT)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/docs/conf.schema.json")
set(LM_CONFIG_SCHEMA_CC "${CMAKE_CURRENT_BINARY_DIR}/config_schema_text.cc")
configure_file(src/config_schema_text.cc.in "${LM_CONFIG_SCHEMA_CC}" @ONLY)
add_library(link_migration_engine STATIC
  src/ahead_loader.cc
  src/bundle.cc
  src/bundle_tool.cc
  src/catalog.cc
  src/config.cc
  src/config_schema.cc
  ${LM_CONFIG_SCHEMA_CC}
  src/discovery.cc
  src/drift.cc
  src/engine.cc
  src/engine_recovery.cc
  src/env_expand.cc
  src/environment.cc
  src/executor.cc
  src/library_file.cc
  src/loading_mark.cc
  src/meta_cache.cc
  src/overlap_thread.cc
  src/plan.cc
  src/plugin_library.cc
  src/records_look.cc
  src/relay_format.cc
  src/step_context.cc
  src/supervisor.cc
  src/tar_archive.cc
  src/worker_relay.cc
  src/store_host.cc
  src/trust.cc
  src/version_store.cc)
target_include_directories(link_migration_engine PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/src)
target_link_libraries(link_migration_engine PUBLIC
  LinkMigration::sdk Boost::headers nlohmann_json::nlohmann_json PkgConfig::sodium Threads::Threads
  ${CMAKE_DL_LIBS})
# Boost.DLL on std::filesystem: no Boost.Filesystem library to map at every start.
target_compile_definitions(link_migration_engine PUBLIC BOOST_DLL_USE_STD_FS)
target_compile_definitions(link_migration_engine PRIVATE LM_RUNNER_VERSION="${PROJECT_VERSION}")

file(RELATIVE_PATH LM_STORE_DIR_FROM_BIN
  "${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}" "${CMAKE_INSTALL_PREFIX}/${LM_STORE_SUBDIR}")
add_executable(link-migration src/main.cc src/cli.cc src/cli_bundle.cc src/cli_commands.cc src/cli_io.cc
  src/cli_new.cc src/cli_options.cc src/completion.cc src/human_reporter.cc src/json_reporter.cc src/palette.cc
  src/scaffold.cc src/text_table.cc)
target_link_libraries(link-migration PRIVATE link_migration_engine Boost::program_options)
target_compile_definitions(link-migration PRIVATE
  LM_STORE_DIR_FROM_BIN="${LM_STORE_DIR_FROM_BIN}" LM_RUNNER_VERSION="${PROJECT_VERSION}")
install(TARGETS link-migration RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
