// A broken file in the migrations folder, through the real binary: status
// names the file and its reason beside what it can show, up answers with one
// error line naming it; both exit 4 (never a signal), and up applies nothing. The runner reads plugin files without
// loading them, and loads a plugin without lm_meta only in a checking child,
// so even a plugin that crashes while it loads cannot take the runner down.
#include "broken_files.h"
#include "cli_fixture.h"

namespace lm_test {
namespace {

using ::testing::HasSubstr;

struct Breakage {
  const char* name;
  std::string (*make)(std::string plugin_bytes);
  const char* reason;  // what the error says of the file
};

std::string AsText(std::string /*plugin_bytes*/) {
  return "Release notes of version 2.4, which someone saved under the name of a plugin.\n";
}
std::string Truncated(std::string bytes) { return broken::Truncated(bytes); }

const Breakage kBreakages[] = {
    {"text", AsText, "not a shared library (no ELF header)"},
    {"zero_filled_tail", broken::ZeroFilledTail, "damaged"},
    {"truncated", Truncated, "truncated"},
    {"garbage_after_headers", broken::GarbageAfterHeaders, "damaged"},
    {"section_table_past_the_end", broken::SectionTablePastTheEnd, "truncated"},
    {"crashes_while_loading_without_lm_meta", broken::WithoutMeta, "crashed while loading (SIGSEGV)"},
};

class BrokenFileTest : public CliTest, public ::testing::WithParamInterface<Breakage> {
 protected:
  void SetUp() override {
    AddPlugins({plugin::kLedger1});
    UseSqlite();
  }
};

TEST_P(BrokenFileTest, StatusAndUpNameTheFile) {
  const Breakage& breakage = GetParam();
  // The crashing plugin is whole: only loading it kills.
  const fs::path source = std::string(breakage.name).starts_with("crashes") ? plugin::kLoadCrash : plugin::kLedger2;
  const fs::path file = MigrationsDir() / "x.so";
  WriteFile(file, breakage.make(ReadFile(source)));

  const std::string named = file.string() + ": " + breakage.reason;
  // Status shows the store, lists the file with its reason, and fails.
  const CliResult status = Run({"status"});
  EXPECT_EQ(status.exit_code, 4) << status;
  EXPECT_THAT(status.out, HasSubstr(named)) << status;
  EXPECT_THAT(status.out, HasSubstr("ledger_1")) << status;

  LM_EXPECT_ERROR(Run({"up"}), 4, named);
  EXPECT_TRUE(Ledger().empty()) << "up applied a step beside a broken file";
}

INSTANTIATE_TEST_SUITE_P(Breakages, BrokenFileTest, ::testing::ValuesIn(kBreakages),
                         [](const ::testing::TestParamInfo<Breakage>& info) { return std::string(info.param.name); });

// An old plugin (no lm_meta) is read in the checking child, and runs in the
// worker like any other.
TEST_F(CliTest, PluginWithoutMetaRuns) {
  UseSqlite();
  WriteFile(MigrationsDir() / "002_old.so", broken::WithoutMeta(ReadFile(plugin::kLedger2)));
  AddPlugins({plugin::kLedger1});
  LM_EXPECT_OK(Run({"up"}));
  EXPECT_EQ(Ledger(), (std::set<int64_t>{1, 2}));
}

// current, -v and history need the store only: a migrations folder that is
// gone (a deploy that has not unpacked yet) does not stop them, while the
// commands that need the plugins still name it.
TEST_F(CliTest, CurrentAndHistoryReadNoPluginFolder) {
  AddPlugins({plugin::kLedger1});
  UseSqlite();
  LM_EXPECT_OK(Run({"up"}));
  fs::remove_all(MigrationsDir());
  CliResult current = Run({"current"});
  LM_EXPECT_OK(current);
  EXPECT_EQ(current.out, "1\n");
  CliResult version = Run({"-v"});
  LM_EXPECT_OK(version);
  EXPECT_EQ(version.out, "1\n");
  CliResult history = Run({"history", "--output", "json"});
  LM_EXPECT_OK(history);
  EXPECT_EQ(json::parse(history.out)["events"].size(), 1u);
  LM_EXPECT_ERROR(Run({"status"}), 3, MigrationsDir().string());
}

}  // namespace
}  // namespace lm_test
