// plugins_example's bookshop demo, run through the CLI as a user would.
#include "cli_fixture.h"

namespace lm_test {
namespace {

using ::testing::HasSubstr;

class DemoTest : public CliTest {
 protected:
  // The demo's conf.json and its migration plugins (example_*.so), as built.
  void SetUp() override {
    const fs::path examples = LM_TEST_EXAMPLES_DIR;
    fs::copy_file(examples / "conf.json", ConfigFile());
    for (const auto& entry : fs::directory_iterator(examples / "migrations")) {
      const std::string name = entry.path().filename().string();
      if (name.rfind("example_", 0) == 0 && entry.path().extension() == ".so") CopyPlugin(entry.path(), MigrationsDir());
    }
  }
};

TEST_F(DemoTest, UpToFourRefusedThenToSeven) {
  CliResult result = Run({"up"});
  LM_EXPECT_OK(result);
  EXPECT_THAT(result.out, HasSubstr("Migrating sqlite from version 0 to 9 in 9 steps.\n[1/9] applying 1 create_catalog ..."));
  EXPECT_THAT(result.out, HasSubstr("[9/9] applying 9 create_report_author_titles ..."));
  EXPECT_THAT(result.out, HasSubstr("    | backfill: 6 book(s) now priced in EUR\n"));
  EXPECT_TRUE(fs::exists(dir_ / "demo.db"));
  EXPECT_EQ(Run({"-v"}).out, "9\n");

  LM_EXPECT_ERROR(Run({"to", "4"}), 7, "version 6 (drop_books_legacy_sku) is irreversible");
  EXPECT_EQ(Run({"current"}).out, "9\n");

  result = Run({"--to=7"});
  LM_EXPECT_OK(result);
  EXPECT_THAT(result.out, HasSubstr("Migrating sqlite from version 9 to 7 in 2 steps.\n"
                                    "[1/2] reverting 9 create_report_author_titles ..."));
  EXPECT_THAT(result.out, HasSubstr("[2/2] reverting 8 create_report_catalog_value ..."));
  EXPECT_EQ(Run({"current"}).out, "7\n");
  EXPECT_THAT(Run({"status"}).out, ::testing::ContainsRegex("\n +8  pending +create_report_catalog_value"));
}

}  // namespace
}  // namespace lm_test
