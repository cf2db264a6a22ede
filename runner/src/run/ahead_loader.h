// Loads the plugin files a run needs while its first steps run. Applying is
// bound by the store's commits, and loading a thousand plugin files costs a
// fifth of a thousand commits on a fast disk: loaded one after another they
// add that fifth, loaded on a second thread beside the commits they hide in
// them. Each step still runs only once its own file has loaded and matched
// its lm_meta records; a file that fails stops the run before its step.
#ifndef LINK_MIGRATION_RUNNER_AHEAD_LOADER_H
#define LINK_MIGRATION_RUNNER_AHEAD_LOADER_H

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "catalog/catalog.h"
#include "run/loading_mark.h"
#include "run/overlap_thread.h"
#include "base/status.h"

namespace lm {

class AheadLoader {
 public:
  // `loads` in the order the steps need them (Catalog::FilesToLoad). Each
  // file is marked in `mark` (if any) while it loads.
  AheadLoader(Catalog& catalog, std::vector<PluginFileLoad> loads, LoadingMark* mark = nullptr);
  // Stops after the file being loaded, and waits for it.
  ~AheadLoader();
  AheadLoader(const AheadLoader&) = delete;
  AheadLoader& operator=(const AheadLoader&) = delete;

  // Whether a thread would have anything to overlap: two files or more
  // left to load. One file (a bundle library) the first step waits for
  // anyway; loaded on a thread, its descriptors also came from a second
  // malloc arena (10,000 migrations in one library: 3 to 5 MiB more RSS).
  bool WorthAThread() const { return loads_.size() - loaded_ >= 2; }

  // Starts loading on another CPU when that is worth it. Where there is no
  // other CPU, nothing starts and Ready loads each file when its step asks.
  void Start();

  // Waits until the file holding `migration` has loaded: its result. A
  // migration loaded before (by the catalog, or from a bundle) is ready.
  // From one thread only, the one running the steps.
  Status Ready(const Migration& migration);

  // Loads whatever is left, here: for a caller that must not run a step
  // before every file loaded.
  Status ReadyAll();

  // How many files have loaded so far, for tests.
  size_t loaded_count();

 private:
  Status ReadyUpTo(size_t index);
  void LoadInOrder();
  Status LoadOne(size_t index);

  Catalog& catalog_;
  const std::vector<PluginFileLoad> loads_;
  LoadingMark* mark_;
  std::unordered_map<const Migration*, size_t> load_of_;

  std::mutex mutex_;
  std::condition_variable progressed_;
  size_t loaded_ = 0;    // loads_[0, loaded_) loaded, guarded by mutex_
  Status failure_;       // of loads_[loaded_] once failed_, guarded by mutex_
  bool failed_ = false;  // guarded by mutex_
  bool stop_ = false;    // guarded by mutex_
  OverlapThread thread_;
  bool on_thread_ = false;
};

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_AHEAD_LOADER_H
