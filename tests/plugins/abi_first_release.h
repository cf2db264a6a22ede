/* The descriptors of ABI 1's first release (0.1.0), written out by hand as a
 * plugin built then has them, for the fixtures that pin the struct_size
 * promise of docs/abi.md (abi_shapes_*.c). Never include migration.h or
 * store.h here: the point is that these stay as they were when the SDK's
 * structs grow. Only abi.h's result codes, lm_error and LM_EXPORT are used,
 * which never change.
 *
 * Each struct is the whole first-release layout; a fixture that plays an
 * older or newer SDK cuts one short or appends to it. */
#ifndef LM_TEST_PLUGINS_ABI_FIRST_RELEASE_H
#define LM_TEST_PLUGINS_ABI_FIRST_RELEASE_H

#include <link_migration/abi.h>
#include <stddef.h>
#include <stdint.h>

#define FIRST_ABI_VERSION 1u

typedef struct first_context first_context;

typedef struct first_host {
  uint32_t struct_size;
  uint32_t abi_version;
  void (*log)(first_context* ctx, int32_t level, const char* message);
  const char* (*param)(first_context* ctx, const char* key);
  const char* (*params_json)(first_context* ctx);
  int32_t (*is_dry_run)(first_context* ctx);
  lm_result (*changelog_columns)(first_context* ctx, const char* const* names, size_t count);
  lm_result (*changelog_row)(first_context* ctx, const char* const* values, size_t count);
  void* (*native_handle)(first_context* ctx, const char* kind);
  int32_t (*in_transaction)(first_context* ctx);
  void (*set_error)(first_context* ctx, const char* message);
  const char* (*config_dir)(first_context* ctx);
} first_host;

#define FIRST_LOG_INFO 1

struct first_migration;
typedef lm_result (*first_step_fn)(const struct first_migration* self, const first_host* host,
                                   first_context* ctx);

typedef struct first_migration {
  uint32_t struct_size;
  uint32_t flags;
  int64_t version;
  const char* name;
  const char* description;
  const char* up_note;
  const char* down_note;
  const char* checksum;
  first_step_fn up;
  first_step_fn down;
  const void* user_data;
} first_migration;

typedef struct first_plugin {
  uint32_t struct_size;
  uint32_t abi_version;
  const first_migration* const* begin;
  const first_migration* const* end;
  const char* sdk_version;
} first_plugin;

typedef struct first_record {
  uint32_t struct_size;
  int32_t state;
  int64_t version;
  const char* name;
  const char* checksum;
  const char* applied_at;
  int64_t duration_ms;
  const char* applied_by;
  const char* runner_version;
  const char* error;
  const char* changelog_path;
  int32_t attempts;
  const char* run_id;
} first_record;

typedef struct first_event {
  uint32_t struct_size;
  int64_t version;
  const char* kind;
  const char* name;
  const char* at;
  const char* by;
  int64_t duration_ms;
  const char* detail;
  const char* run_id;
} first_event;

typedef struct first_owner {
  uint32_t struct_size;
  const char* user;
  const char* host;
  int64_t pid;
  const char* run_id;
  const char* started_at;
} first_owner;

typedef struct first_store_open_args {
  uint32_t struct_size;
  const char* options_json;
  const char* config_dir;
  const first_owner* owner;
  int32_t read_only;
} first_store_open_args;

typedef struct first_store first_store;
typedef lm_result (*first_record_visitor)(void* user, const void* record);
typedef lm_result (*first_event_visitor)(void* user, const void* event);

#define FIRST_STORE_CAP_HISTORY (1u << 2)

/* The store descriptor's first-release fields, as a macro so that an older
 * or newer store can be spelt as a prefix of its own struct. */
#define FIRST_STORE_API_FIELDS                                                                     \
  uint32_t struct_size;                                                                            \
  uint32_t abi_version;                                                                            \
  uint64_t capabilities;                                                                           \
  const char* name;                                                                                \
  lm_result (*open)(const first_store_open_args* args, first_store** out, lm_error* err);          \
  void (*close)(first_store* store);                                                               \
  lm_result (*list_records)(first_store* store, first_record_visitor visit, void* user, lm_error* err); \
  lm_result (*put_record)(first_store* store, const void* record, lm_error* err);                   \
  lm_result (*delete_record)(first_store* store, int64_t version, lm_error* err);                  \
  lm_result (*append_event)(first_store* store, const void* event, lm_error* err);                 \
  lm_result (*list_events)(first_store* store, first_event_visitor visit, void* user, lm_error* err); \
  lm_result (*begin)(first_store* store, lm_error* err);                                           \
  lm_result (*commit)(first_store* store, lm_error* err);                                          \
  lm_result (*rollback)(first_store* store, lm_error* err);                                        \
  lm_result (*lock)(first_store* store, int64_t timeout_ms, lm_error* err);                        \
  lm_result (*unlock)(first_store* store, lm_error* err);                                          \
  void* (*native_handle)(first_store* store, const char* kind);

#endif
