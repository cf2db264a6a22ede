// safety_tests: runs link-migration as child processes; this process adopts
// the workers of runners it kills (EnableReaping) so it can wait for them.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

#include "subprocess.h"

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  lm::safety::EnableReaping();
  // The runners these tests start keep their plugin metadata cache in a
  // folder of this run's own, never in the user's ~/.cache.
  std::string cache = (std::filesystem::temp_directory_path() / "lm-safety-cache-XXXXXX").string();
  const bool own_cache = mkdtemp(cache.data()) != nullptr;
  if (own_cache) setenv("LINK_MIGRATION_CACHE_DIR", (cache + "/cache").c_str(), 1);
  const int result = RUN_ALL_TESTS();
  std::error_code ignored;
  if (own_cache) std::filesystem::remove_all(cache, ignored);
  return result;
}
