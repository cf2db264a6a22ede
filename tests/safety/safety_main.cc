// safety_tests: runs link-migration as child processes; this process adopts
// the workers of runners it kills (EnableReaping) so it can wait for them.
#include <gtest/gtest.h>
#include "support/subprocess.h"

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  lm::test::EnableReaping();
  return RUN_ALL_TESTS();
}
