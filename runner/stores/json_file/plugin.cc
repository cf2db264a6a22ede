// The entry point of json-file.so.
#include <link_migration/store.h>

#include "common/plugin_api.h"
#include "json_file/json_file_store.h"

extern "C" LM_EXPORT const lm_store_api link_migration_store =
    lm::stores::MakeStoreApi<&lm::stores::JsonFileStore::Open>("json-file",
                                                               LM_STORE_CAP_LOCKING | LM_STORE_CAP_HISTORY);
