// Which store the conformance suite runs against, from the command line or
// the environment (the command line wins):
//
//   --store=PATH      LM_STORE_PLUGIN    the store plugin (.so) to test
//   --options=JSON    LM_STORE_OPTIONS   its options object; every "{dir}"
//                                        becomes the test's fresh folder
//
// Each test opens the store with config_dir set to a fresh, empty folder, so
// relative paths in the options (e.g. {"database": "store.db"}) are fresh too.
#ifndef LINK_MIGRATION_TESTS_STORE_CONFORMANCE_CONFORMANCE_CONFIG_H
#define LINK_MIGRATION_TESTS_STORE_CONFORMANCE_CONFORMANCE_CONFIG_H

#include <string>

namespace lm::store_test {

struct ConformanceConfig {
  std::string store;
  std::string options = "{}";
};

ConformanceConfig& Config();

// Reads the environment, then the arguments gtest left over. False with
// *error for an argument it does not know.
bool ParseConformanceArgs(int argc, char** argv, std::string* error);

}  // namespace lm::store_test

#endif  // LINK_MIGRATION_TESTS_STORE_CONFORMANCE_CONFORMANCE_CONFIG_H
