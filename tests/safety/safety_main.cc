// safety_tests: runs link-migration as child processes; this process adopts
// the workers of runners it kills (EnableReaping) so it can wait for them.
#include <gtest/gtest.h>
#include <stdlib.h>

#include "support/subprocess.h"
#include "support/temp_dir.h"

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  lm::test::EnableReaping();
  // The runners these tests start keep their plugin metadata cache in a
  // folder of this run's own, never in the user's ~/.cache.
  const lm::test::TempDir cache;
  setenv("LINK_MIGRATION_CACHE_DIR", (cache / "cache").c_str(), 1);
  return RUN_ALL_TESTS();
}
