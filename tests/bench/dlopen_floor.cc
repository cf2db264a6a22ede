// Floor (b) of the benchmark: the raw cost of loading N migration plugins.
// Lists one folder, then dlopen (RTLD_NOW | RTLD_LOCAL, as the runner loads)
// and dlsym the descriptor of every *.so in it, in name order, and counts the
// migrations the descriptors list. Nothing else: no checks, no store.
//
//   lm_bench_dlopen FOLDER
#include <dirent.h>
#include <dlfcn.h>
#include <link_migration/migration.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: lm_bench_dlopen FOLDER\n");
    return 2;
  }
  const std::string folder = argv[1];
  DIR* dir = opendir(folder.c_str());
  if (dir == nullptr) {
    std::perror(folder.c_str());
    return 1;
  }
  std::vector<std::string> names;
  while (dirent* entry = readdir(dir)) {
    const std::string name = entry->d_name;
    if (name.size() > 3 && name[0] != '.' && name.compare(name.size() - 3, 3, ".so") == 0) names.push_back(name);
  }
  closedir(dir);
  std::sort(names.begin(), names.end());

  size_t migrations = 0;
  for (const std::string& name : names) {
    const std::string path = folder + "/" + name;
    void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) {
      std::fprintf(stderr, "lm_bench_dlopen: %s\n", dlerror());
      return 1;
    }
    const auto* plugin = static_cast<const lm_plugin*>(dlsym(library, LM_PLUGIN_SYMBOL));
    if (plugin == nullptr) {
      std::fprintf(stderr, "lm_bench_dlopen: %s: no %s\n", path.c_str(), LM_PLUGIN_SYMBOL);
      return 1;
    }
    for (auto entry = plugin->begin; entry != plugin->end; ++entry) migrations += *entry != nullptr;
  }
  std::printf("dlopen floor: %zu file(s), %zu migration(s)\n", names.size(), migrations);
  return 0;
}
