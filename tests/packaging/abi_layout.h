/* The descriptor layouts of docs/abi.md on an LP64 target, asserted from C
 * (headers.c) and from C++ (headers.cpp): a header edit that moves a field
 * breaks every plugin already built, so it must break this build first. */
#ifndef LM_TEST_ABI_LAYOUT_H
#define LM_TEST_ABI_LAYOUT_H

#ifdef __cplusplus
#define LM_LAYOUT_ASSERT(condition, what) static_assert(condition, what)
#else
#define LM_LAYOUT_ASSERT(condition, what) _Static_assert(condition, what)
#endif

LM_LAYOUT_ASSERT(LM_ABI_VERSION == 1u, "ABI version");
LM_LAYOUT_ASSERT(sizeof(lm_error) == LM_ERROR_MESSAGE_MAX, "lm_error");
LM_LAYOUT_ASSERT(sizeof(lm_meta_record) == 224, "lm_meta_record is 224 bytes");
LM_LAYOUT_ASSERT(offsetof(lm_plugin, struct_size) == 0, "lm_plugin.struct_size first");
LM_LAYOUT_ASSERT(offsetof(lm_plugin, abi_version) == 4, "lm_plugin.abi_version second");
LM_LAYOUT_ASSERT(offsetof(lm_plugin, sdk_version) == 8 + 2 * sizeof(void*), "lm_plugin.sdk_version");
LM_LAYOUT_ASSERT(offsetof(lm_migration, version) == 8, "lm_migration.version");
LM_LAYOUT_ASSERT(offsetof(lm_migration, name) == 16, "lm_migration.name");
LM_LAYOUT_ASSERT(offsetof(lm_migration, user_data) == 16 + 7 * sizeof(void*), "lm_migration.user_data last");
LM_LAYOUT_ASSERT(offsetof(lm_host, log) == 8, "lm_host services after struct_size, abi_version");
LM_LAYOUT_ASSERT(offsetof(lm_record, version) == 8, "lm_record.version");
LM_LAYOUT_ASSERT(offsetof(lm_store_api, struct_size) == 0, "lm_store_api.struct_size first");

#endif
