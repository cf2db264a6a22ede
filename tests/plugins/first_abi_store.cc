// The sqlite store as a plugin built before lm_store_api had in_transaction
// exports it: its struct_size ends at native_handle. What follows in memory
// is not the plugin's to promise; here it is a function that aborts, so a
// runner that read past struct_size would die rather than pass.
#include <link_migration/store.h>

#include <cstddef>
#include <cstdlib>

#include "common/plugin_api.h"
#include "sqlite/sqlite_store.h"

namespace {

int32_t NeverCalled(lm_store*) { std::abort(); }

constexpr lm_store_api FirstAbiStore() {
  lm_store_api api = lm::stores::MakeStoreApi<&lm::stores::SqliteStore::Open>(
      "sqlite-first-abi",
      LM_STORE_CAP_TRANSACTIONS | LM_STORE_CAP_LOCKING | LM_STORE_CAP_HISTORY | LM_STORE_CAP_NATIVE_HANDLE);
  api.struct_size = offsetof(lm_store_api, in_transaction);
  api.in_transaction = &NeverCalled;
  return api;
}

}  // namespace

extern "C" LM_EXPORT const lm_store_api link_migration_store = FirstAbiStore();
