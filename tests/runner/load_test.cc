// Finding and loading migration plugins: every problem is a clean error
// naming the file, found by Open before any store is touched; the catalog
// collects one per broken file and loads no plugin in this process.
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "broken_files.h"
#include "catalog/catalog.h"
#include "catalog/discovery.h"
#include "catalog/library_file.h"
#include "engine_fixture.h"

namespace lm_test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// Whether this process has `text` (a file's path, a memfd's name) mapped.
bool Mapped(const std::string& text) {
  std::ifstream maps("/proc/self/maps");
  const std::string all((std::istreambuf_iterator<char>(maps)), std::istreambuf_iterator<char>());
  return all.find(text) != std::string::npos;
}

std::vector<std::string> Messages(const std::vector<lm::Status>& problems) {
  std::vector<std::string> messages;
  for (const lm::Status& problem : problems) messages.push_back(problem.message());
  return messages;
}

std::vector<int64_t> Versions(const lm::Catalog& catalog) {
  std::vector<int64_t> versions;
  for (const lm::Migration& migration : catalog.migrations()) versions.push_back(migration.version);
  return versions;
}

class LoadTest : public EngineTest {
 protected:
  void SetUp() override {
    AddPlugins({plugin::kLedger1});
    UseSqlite();
  }

  // Open reads the folder without touching the store, and its catalog must
  // hold a plugin-load problem; returns the catalog's verdict (Usable).
  std::string ProblemOnOpen() {
    const lm::Status opened = Open();
    EXPECT_TRUE(opened.ok()) << opened.message();
    EXPECT_FALSE(fs::exists(Database()));
    if (!opened.ok()) return opened.message();
    const lm::Status usable = engine_->catalog().Usable();
    EXPECT_EQ(usable.kind(), lm::ErrorKind::kPluginLoad) << usable.message();
    return usable.message();
  }
};

TEST_F(LoadTest, DuplicateVersionNamesBothFiles) {
  AddPlugins({plugin::kLedger2, plugin::kDuplicate});
  std::string message = ProblemOnOpen();
  EXPECT_THAT(message, HasSubstr("duplicate migration version 2"));
  EXPECT_THAT(message, HasSubstr((MigrationsDir() / plugin::kLedger2.filename()).string()));
  EXPECT_THAT(message, HasSubstr((MigrationsDir() / plugin::kDuplicate.filename()).string()));
}

TEST_F(LoadTest, AbiMismatchNamesBothVersions) {
  const fs::path file = CopyPlugin(plugin::kWrongAbi, MigrationsDir());
  std::string message = ProblemOnOpen();
  EXPECT_THAT(message, HasSubstr(file.string()));
  EXPECT_THAT(message, HasSubstr("built for plugin ABI 99, this runner supports ABI 1"));
}

// A broken plugin is the error a run reports, whatever the store's own problem.
TEST_F(LoadTest, PluginErrorWinsOverAnUnopenableStore) {
  WriteConfig({{"migrations", "migrations"}, {"store", {{"plugin", "sqlite"}, {"options", {{"database", "no/such/dir/x.db"}}}}}});
  const fs::path file = CopyPlugin(plugin::kWrongAbi, MigrationsDir());
  const lm::Status up = Run(Up());
  EXPECT_EQ(up.kind(), lm::ErrorKind::kPluginLoad) << up.message();
  EXPECT_THAT(up.message(), HasSubstr(file.string() + ": built for plugin ABI 99"));
}

// The catalog reads a plugin's metadata without loading it; the file is
// checked again when it is loaded to run, so a change in between is caught.
TEST_F(LoadTest, AFileMadeWritableAfterTheCatalogReadIsRefusedWhenLoaded) {
  LM_ASSERT_OK(Open());
  const fs::path file = MigrationsDir() / plugin::kLedger1.filename();
  fs::permissions(file, fs::perms::others_write, fs::perm_options::add);
  reporter_ = RecordingReporter();
  const lm::Status up = engine_->Migrate(Up(), reporter_);
  EXPECT_EQ(up.kind(), lm::ErrorKind::kPluginLoad) << up.message();
  EXPECT_THAT(up.message(), HasSubstr(file.string() + " is writable by others"));
  fs::permissions(file, fs::perms::others_write, fs::perm_options::remove);
  const lm::StatusReport report = Report();
  EXPECT_TRUE(report.records.empty()) << "nothing may be recorded as applied";
  EXPECT_EQ(report.versions.size(), 1u);
}

// Its headers are not read again when it is loaded: a file damaged since
// the catalog read it fails to load, or kills the worker while loading, and
// either way the run stops before any step, naming it.
TEST_F(LoadTest, AFileDamagedAfterTheCatalogReadStopsTheRunNamingIt) {
  LM_ASSERT_OK(Open());
  const fs::path file = MigrationsDir() / plugin::kLedger1.filename();
  fs::resize_file(file, fs::file_size(file) / 2);
  reporter_ = RecordingReporter();
  const lm::Status up = engine_->Migrate(Up(), reporter_);
  EXPECT_EQ(up.kind(), lm::ErrorKind::kPluginLoad) << up.message();
  EXPECT_THAT(up.message(), HasSubstr(file.string()));
  const lm::StatusReport report = Report();
  EXPECT_TRUE(report.records.empty()) << "nothing may be recorded as applied";
}

TEST_F(LoadTest, NotALibrary) {
  const fs::path file = MigrationsDir() / "notes.so";
  WriteFile(file, "These are the release notes of version 2.4, which someone saved with the wrong name.\n");
  std::string message = ProblemOnOpen();
  EXPECT_THAT(message, HasSubstr(file.string()));
  EXPECT_THAT(message, HasSubstr("not a shared library (no ELF header)"));
}

TEST_F(LoadTest, TinyFileIsNotALibrary) {
  const fs::path file = MigrationsDir() / "tiny.so";
  WriteFile(file, "\x7f" "ELF");
  std::string message = ProblemOnOpen();
  EXPECT_THAT(message, HasSubstr(file.string() + ": not a shared library (only 4 bytes)"));
}

TEST_F(LoadTest, TruncatedCopyIsCleanError) {
  const fs::path file = CopyPlugin(plugin::kLedger2, MigrationsDir());
  const auto size = fs::file_size(file);
  fs::resize_file(file, size / 2);
  std::string message = ProblemOnOpen();
  EXPECT_THAT(message, HasSubstr(file.string() + ": truncated"));
  EXPECT_THAT(message, HasSubstr("the file has " + std::to_string(size / 2) + " bytes"));
}

TEST_F(LoadTest, TruncatedHeadersAreCleanError) {
  // Cut inside the program headers: only the ELF header survives.
  const fs::path file = CopyPlugin(plugin::kLedger2, MigrationsDir());
  fs::resize_file(file, 100);
  std::string message = ProblemOnOpen();
  EXPECT_THAT(message, HasSubstr(file.string() + ": truncated or damaged"));
}

// The full size, its second half zeros: the runner used to find no lm_meta
// in it and dlopen it, and died of SIGSEGV.
TEST_F(LoadTest, ZeroFilledTailIsCleanError) {
  const fs::path file = MigrationsDir() / "x.so";
  WriteFile(file, broken::ZeroFilledTail(ReadFile(plugin::kLedger2)));
  EXPECT_THAT(ProblemOnOpen(), HasSubstr(file.string() + ": damaged"));
}

TEST_F(LoadTest, GarbageAfterTheHeadersIsCleanError) {
  const fs::path file = MigrationsDir() / "x.so";
  WriteFile(file, broken::GarbageAfterHeaders(ReadFile(plugin::kLedger2)));
  EXPECT_THAT(ProblemOnOpen(), HasSubstr(file.string() + ": "));
}

TEST_F(LoadTest, SectionTablePastTheEndIsCleanError) {
  const fs::path file = MigrationsDir() / "x.so";
  WriteFile(file, broken::SectionTablePastTheEnd(ReadFile(plugin::kLedger2)));
  EXPECT_THAT(ProblemOnOpen(), HasSubstr(file.string() + ": truncated: the file has "));
}

// The same checks for bytes in memory (a bundle's member) as for a file.
TEST(LibraryFileTest, BytesInMemoryAreCheckedAsFilesAre) {
  const std::string plugin = ReadFile(plugin::kLedger2);
  lm::LibraryFileInfo info;
  EXPECT_EQ(lm::InspectLibraryBytes(plugin, &info), "");
  ASSERT_TRUE(info.has_meta);
  EXPECT_EQ(info.meta.at(0).version, 2);
  for (const std::string& broken : {broken::ZeroFilledTail(plugin), broken::Truncated(plugin),
                                    broken::GarbageAfterHeaders(plugin), broken::SectionTablePastTheEnd(plugin),
                                    std::string("text, not a library\n")}) {
    lm::LibraryFileInfo ignored;
    EXPECT_THAT(lm::InspectLibraryBytes(broken, &ignored), Not(IsEmpty()));
    EXPECT_FALSE(ignored.has_meta);
  }
  lm::LibraryFileInfo without_meta;
  EXPECT_EQ(lm::InspectLibraryBytes(broken::WithoutMeta(plugin), &without_meta), "");
  EXPECT_FALSE(without_meta.has_meta);
}

TEST_F(LoadTest, MissingEntrySymbol) {
  const fs::path file = CopyPlugin(plugin::kNoEntry, MigrationsDir());
  std::string message = ProblemOnOpen();
  EXPECT_THAT(message, HasSubstr(file.string() + ": no entry point 'link_migration_plugin'"));
}

TEST_F(LoadTest, PluginWithoutMigrations) {
  const fs::path file = CopyPlugin(plugin::kEmpty, MigrationsDir());
  EXPECT_THAT(ProblemOnOpen(), HasSubstr(file.string() + ": exports no migrations"));
}

TEST_F(LoadTest, IgnoredNamesAreSkipped) {
  // Broken libraries under names a copy in progress or an editor leaves:
  // loading any of them would fail.
  for (const char* name : {".hidden.so", "x.so~", "x.so.tmp", "x.so.part"})
    CopyPlugin(plugin::kNoEntry, MigrationsDir(), name);
  WriteFile(MigrationsDir() / "README.txt", "not a plugin, and not named like one\n");
  LM_ASSERT_OK(Open());
  ASSERT_EQ(engine_->catalog().migrations().size(), 1u);
  EXPECT_EQ(engine_->catalog().migrations()[0].version, 1);
}

TEST_F(LoadTest, SubfoldersAreNotSearched) {
  CopyPlugin(plugin::kLedger2, MigrationsDir() / "old");
  LM_ASSERT_OK(Open());
  EXPECT_EQ(engine_->catalog().migrations().size(), 1u);
}

TEST_F(LoadTest, SeveralMigrationFolders) {
  CopyPlugin(plugin::kLedger2, dir_ / "hotfix");
  WriteConfig({{"migrations", {"migrations", "hotfix"}},
               {"store", {{"plugin", "sqlite"}, {"options", {{"database", "target.db"}}}}}});
  LM_ASSERT_OK(Run(Up()));
  EXPECT_THAT(reporter_.Started(), ElementsAre("up 1", "up 2"));
}

// Two plugins each define lm_test_helper_value(); each migration must call
// its own, whether the helper is hidden (as the SDK builds plugins) or
// exported (then only RTLD_LOCAL keeps the two apart).
TEST_F(LoadTest, SameHelperSymbolStaysPrivate) {
  AddPlugins({plugin::kHelperA, plugin::kHelperB, plugin::kExportedHelperA, plugin::kExportedHelperB});
  LM_ASSERT_OK(Run(Up()));
  EXPECT_THAT(reporter_.LinesOf(40), ElementsAre("info: helper value 1111"));
  EXPECT_THAT(reporter_.LinesOf(41), ElementsAre("info: helper value 2222"));
  EXPECT_THAT(reporter_.LinesOf(42), ElementsAre("info: helper value 1111"));
  EXPECT_THAT(reporter_.LinesOf(43), ElementsAre("info: helper value 2222"));
}

// A FIFO where a plugin was (put there after the folder was listed) must not
// block the runner in open().
TEST(LibraryFileTest, FifoIsNotARegularFile) {
  TempDir dir;
  const fs::path fifo = dir / "x.so";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(lm::InspectLibraryFile(fifo), "not a regular file");
  lm::Catalog catalog;
  LM_ASSERT_OK(lm::LoadCatalog({{fifo.string(), false}}, lm::TrustPolicy{}, lm::BundlePolicy{}, &catalog));
  EXPECT_THAT(Messages(catalog.problems()), ElementsAre(fifo.string() + ": not a regular file"));
}

// The catalog alone: what LoadCatalog makes of the migrations folder.
class CatalogTest : public LoadTest {
 protected:
  lm::Catalog Read() {
    std::vector<lm::MigrationSource> sources;
    EXPECT_TRUE(lm::DiscoverMigrationSources({MigrationsDir()}, &sources).ok());
    lm::Catalog catalog;
    const lm::Status read = lm::LoadCatalog(sources, lm::TrustPolicy{}, lm::BundlePolicy{}, &catalog);
    EXPECT_TRUE(read.ok()) << read.message();
    return catalog;
  }

  // release.lmbundle: ledger_2's plugin, and ledger_3's rebuilt without
  // lm_meta (so read in the checking child), with the manifest listing
  // `second` and `third` for them.
  fs::path WriteLedgerBundle(const lm::BundleMigration& second, const lm::BundleMigration& third) {
    const fs::path old = dir_ / "build" / "003_old.so";
    WriteFile(old, broken::WithoutMeta(ReadFile(plugin::kLedger3)));
    lm::BundleManifest manifest;
    manifest.name = "shop";
    manifest.version = "1";
    manifest.files.resize(2);
    manifest.files[0].migrations = {second};
    manifest.files[1].migrations = {third};
    const fs::path bundle = dir_ / "release.lmbundle";
    EXPECT_TRUE(lm::WriteBundle(bundle, {plugin::kLedger2, old}, manifest).ok());
    return bundle;
  }
};

// One broken file does not hide the others: each is a problem of its own.
TEST_F(CatalogTest, ProblemsAreCollectedPerFile) {
  WriteFile(MigrationsDir() / "a.so", "not a library\n");
  WriteFile(MigrationsDir() / "b.so", broken::ZeroFilledTail(ReadFile(plugin::kLedger2)));
  AddPlugins({plugin::kLedger3});
  const lm::Catalog catalog = Read();
  EXPECT_THAT(Versions(catalog), ElementsAre(1, 3));
  const std::vector<std::string> problems = Messages(catalog.problems());
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_THAT(problems[0], HasSubstr((MigrationsDir() / "a.so").string() + ": not a shared library"));
  EXPECT_THAT(problems[1], HasSubstr((MigrationsDir() / "b.so").string() + ": damaged"));
  for (const lm::Status& problem : catalog.problems()) EXPECT_EQ(problem.kind(), lm::ErrorKind::kPluginLoad);
  EXPECT_EQ(catalog.Usable().kind(), lm::ErrorKind::kPluginLoad);
  EXPECT_EQ(catalog.Usable().message(), problems[0] + " (and 1 more)");
}

TEST_F(CatalogTest, DuplicateVersionIsAProblemAndTheFirstFileStays) {
  AddPlugins({plugin::kLedger2, plugin::kDuplicate});
  const lm::Catalog catalog = Read();
  EXPECT_THAT(Versions(catalog), ElementsAre(1, 2));
  // Sources come sorted by path: lm_test_duplicate.so before lm_test_ledger_2.so.
  EXPECT_EQ(catalog.Find(2)->file, (MigrationsDir() / plugin::kDuplicate.filename()).string());
  EXPECT_THAT(Messages(catalog.problems()), ElementsAre(HasSubstr("duplicate migration version 2")));
  EXPECT_EQ(catalog.Usable().message(), catalog.problems()[0].message());
}

// Reading a plugin's lm_meta section maps nothing into this process.
TEST_F(CatalogTest, PluginWithMetaIsNotLoaded) {
  const lm::Catalog catalog = Read();
  EXPECT_THAT(Versions(catalog), ElementsAre(1));
  EXPECT_FALSE(catalog.migrations()[0].loaded());
  EXPECT_FALSE(Mapped((MigrationsDir() / plugin::kLedger1.filename()).string()));
}

// A plugin without lm_meta is loaded in the checking child, never here; what
// the child read comes back whole, and the worker loads it later.
TEST_F(CatalogTest, PluginWithoutMetaIsReadInAChild) {
  const fs::path file = MigrationsDir() / "002_old.so";
  WriteFile(file, broken::WithoutMeta(ReadFile(plugin::kLedger2)));
  lm::Catalog catalog = Read();
  EXPECT_THAT(catalog.problems(), IsEmpty());
  ASSERT_THAT(Versions(catalog), ElementsAre(1, 2));
  const lm::Migration& old = *catalog.Find(2);
  EXPECT_EQ(old.name, "ledger_2");
  EXPECT_EQ(old.description, "Adds row 2 to the ledger.");
  EXPECT_TRUE(old.reversible());
  EXPECT_EQ(old.file, file.string());
  EXPECT_FALSE(old.loaded());
  EXPECT_FALSE(Mapped(file.string()));

  LM_ASSERT_OK(catalog.Load({2}));
  EXPECT_TRUE(catalog.Find(2)->loaded());
}

// The child dies on the crashing file; that file is a problem, and a fresh
// child reads the files after it.
TEST_F(CatalogTest, PluginCrashingInTheChildIsAProblem) {
  const fs::path crashing = MigrationsDir() / "a_crash.so";
  WriteFile(crashing, broken::WithoutMeta(ReadFile(plugin::kLoadCrash)));
  WriteFile(MigrationsDir() / "b_old.so", broken::WithoutMeta(ReadFile(plugin::kLedger2)));
  CopyPlugin(plugin::kWrongAbi, MigrationsDir(), "c_wrong_abi.so");
  const lm::Catalog catalog = Read();
  EXPECT_THAT(Versions(catalog), ElementsAre(1, 2));
  EXPECT_THAT(Messages(catalog.problems()),
              ElementsAre(crashing.string() + ": crashed while loading (SIGSEGV)",
                          HasSubstr("c_wrong_abi.so: built for plugin ABI 99")));
}

// A bundle's members are read from their lm_meta section, or in the checking
// child, and checked against the manifest; the worker loads them from the
// bytes the catalog kept, not from the bundle file.
TEST_F(CatalogTest, BundleMembersLoadFromTheCatalogsBytes) {
  const fs::path bundle = WriteLedgerBundle({2, "ledger_2"}, {3, "ledger_3"});

  lm::Catalog catalog;
  LM_ASSERT_OK(lm::LoadCatalog({{bundle.string(), true}}, lm::TrustPolicy{}, lm::BundlePolicy{}, &catalog));
  EXPECT_THAT(catalog.problems(), IsEmpty());
  ASSERT_THAT(Versions(catalog), ElementsAre(2, 3));
  EXPECT_EQ(catalog.Find(2)->file, bundle.string() + ":plugins/" + plugin::kLedger2.filename().string());
  EXPECT_EQ(catalog.Find(3)->description, "Adds row 3 to the ledger.");
  EXPECT_FALSE(catalog.Find(2)->loaded());
  EXPECT_FALSE(Mapped("link-migration-plugin"));

  fs::remove(bundle);
  LM_ASSERT_OK(catalog.Load({2, 3}));
  EXPECT_TRUE(catalog.Find(2)->loaded());
  EXPECT_EQ(catalog.Find(2)->description, "Adds row 2 to the ledger.");
  EXPECT_TRUE(catalog.Find(3)->loaded());
}

TEST_F(CatalogTest, BundleMemberDisagreeingWithItsManifestIsAProblem) {
  const fs::path bundle = WriteLedgerBundle({2, "ledger_two"}, {4, "ledger_3"});

  lm::Catalog catalog;
  LM_ASSERT_OK(lm::LoadCatalog({{bundle.string(), true}}, lm::TrustPolicy{}, lm::BundlePolicy{}, &catalog));
  EXPECT_THAT(Versions(catalog), IsEmpty());
  EXPECT_THAT(Messages(catalog.problems()),
              ElementsAre(bundle.string() + ":plugins/" + plugin::kLedger2.filename().string() +
                              ": holds other migrations than the bundle's manifest lists for it",
                          bundle.string() + ":plugins/003_old.so: holds other migrations than the bundle's manifest "
                                            "lists for it"));
}

}  // namespace
}  // namespace lm_test
