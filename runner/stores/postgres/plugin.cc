// The entry point of postgres.so.
#include <link_migration/store.h>

#include "common/plugin_api.h"
#include "postgres/postgres_store.h"

extern "C" LM_EXPORT const lm_store_api link_migration_store =
    lm::stores::MakeStoreApi<&lm::stores::PostgresStore::Open>(
        "postgres",
        LM_STORE_CAP_TRANSACTIONS | LM_STORE_CAP_LOCKING | LM_STORE_CAP_HISTORY | LM_STORE_CAP_NATIVE_HANDLE);
