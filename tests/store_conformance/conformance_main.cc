// link-migration-store-conformance: runs the store conformance suite against
// one store plugin. See conformance_config.h and docs/stores.md.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "conformance_config.h"

namespace lm::store_test {

ConformanceConfig& Config() {
  static ConformanceConfig config;
  return config;
}

bool ParseConformanceArgs(int argc, char** argv, std::string* error) {
  ConformanceConfig& config = Config();
  if (const char* store = std::getenv("LM_STORE_PLUGIN")) config.store = store;
  if (const char* options = std::getenv("LM_STORE_OPTIONS")) config.options = options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string* target = nullptr;
    std::string value;
    for (auto [flag, field] : {std::pair{"--store", &config.store}, std::pair{"--options", &config.options}}) {
      std::string prefix = std::string(flag) + "=";
      if (arg == flag && i + 1 < argc) {
        target = field;
        value = argv[++i];
      } else if (arg.rfind(prefix, 0) == 0) {
        target = field;
        value = arg.substr(prefix.size());
      }
    }
    if (target == nullptr) {
      *error = "unknown argument \"" + arg + "\"";
      return false;
    }
    *target = value;
  }
  return true;
}

}  // namespace lm::store_test

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  std::string error;
  if (!lm::store_test::ParseConformanceArgs(argc, argv, &error)) {
    std::fprintf(stderr,
                 "%s\nusage: %s [gtest flags] --store=PLUGIN.so [--options='{\"key\": "
                 "\"{dir}/file\"}']\n(or set LM_STORE_PLUGIN and LM_STORE_OPTIONS)\n",
                 error.c_str(), argv[0]);
    return 2;
  }
  return RUN_ALL_TESTS();
}
