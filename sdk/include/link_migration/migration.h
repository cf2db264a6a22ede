/*
 * link-migration migration plugin ABI (C).
 *
 * A migration plugin is a shared library that exports one data symbol,
 * `link_migration_plugin` (LM_PLUGIN_SYMBOL), of type lm_plugin. It lists one
 * or many migrations (a "bundle library" lists many). The runner reads
 * struct_size and abi_version first and calls nothing in a plugin whose ABI
 * version it does not support.
 *
 * The runner calls a step as  step(self, host, ctx):
 *   - self is the lm_migration being run (so one step function can serve many
 *     migrations through user_data);
 *   - host is the table of runner services, valid for the whole run;
 *   - ctx is an opaque handle to pass back to every host service.
 * A step returns LM_OK, or another code after calling host->set_error with a
 * one-line reason. It must not throw, longjmp out, or keep ctx after returning.
 * The plugin is loaded, and every step and host service called, on the
 * worker's main thread (abi.h: one thread).
 *
 * Plain C authors register each migration with LM_REGISTER_MIGRATION(m) and
 * link the SDK's plugin entry (LinkMigration::plugin_entry, or
 * -llink_migration_plugin), which defines `link_migration_plugin` from the
 * registered list without running any code at load time. See docs/abi.md.
 */
#ifndef LINK_MIGRATION_MIGRATION_H
#define LINK_MIGRATION_MIGRATION_H

#include "abi.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LM_PLUGIN_SYMBOL "link_migration_plugin"

typedef struct lm_context lm_context; /* opaque, owned by the runner */

/* Log levels for lm_host.log. */
#define LM_LOG_DEBUG 0
#define LM_LOG_INFO 1
#define LM_LOG_WARNING 2
#define LM_LOG_ERROR 3

/* Runner services handed to every step. Fields are appended only; check
 * struct_size before using a field added after ABI 1's first release. */
typedef struct lm_host {
  uint32_t struct_size;
  uint32_t abi_version;

  /* Print one line under the step's heading (and into the run's output). */
  void (*log)(lm_context* ctx, int32_t level, const char* message);

  /* The config's "params" object: one key's value as JSON text, or NULL when
   * the key is absent. Valid until the step returns. */
  const char* (*param)(lm_context* ctx, const char* key);
  /* The whole "params" object as JSON text ("{}" when absent). */
  const char* (*params_json)(lm_context* ctx);

  /* Non-zero when the runner asks the step to describe, not change. The
   * runner's --dry-run never calls steps; this stays 0 in ABI 1 runners and
   * is reserved for a rehearsal mode. */
  int32_t (*is_dry_run)(lm_context* ctx);

  /* Data changelog (an audit CSV of every change a data migration makes).
   * changelog_columns sets the header once, before the first row; rows are
   * appended in order. The file's path is recorded with the version. */
  lm_result (*changelog_columns)(lm_context* ctx, const char* const* names, size_t count);
  lm_result (*changelog_row)(lm_context* ctx, const char* const* values, size_t count);

  /* The store's own connection when it is of the kind asked for ("sqlite3"
   * gives a sqlite3*, "libpq" a PGconn*), else NULL. Work done through it
   * commits in the same transaction as the step's record, unless the
   * migration has LM_MIGRATION_NO_TRANSACTION. Never close it. */
  void* (*native_handle)(lm_context* ctx, const char* kind);

  /* Non-zero when the step runs inside a store transaction. */
  int32_t (*in_transaction)(lm_context* ctx);

  /* The reason for a failure; call before returning a non-LM_OK code. */
  void (*set_error)(lm_context* ctx, const char* message);

  /* The folder of the config file: relative paths in params resolve against
   * it, as the runner's own do. */
  const char* (*config_dir)(lm_context* ctx);
} lm_host;

struct lm_migration;
typedef lm_result (*lm_step_fn)(const struct lm_migration* self, const lm_host* host,
                                lm_context* ctx);

/* lm_migration.flags */
#define LM_MIGRATION_NO_TRANSACTION (1u << 0) /* e.g. CREATE INDEX CONCURRENTLY, VACUUM */

typedef struct lm_migration {
  uint32_t struct_size;
  uint32_t flags;
  int64_t version;         /* > 0, unique across everything the runner loads */
  const char* name;        /* short identifier, e.g. "add_users_email" */
  const char* description; /* one paragraph, may be NULL */
  const char* up_note;     /* printed before up runs, may be NULL */
  const char* down_note;   /* printed before down runs, may be NULL */
  const char* checksum;    /* "sha256:<64 hex>" of the source, or NULL */
  lm_step_fn up;           /* required */
  lm_step_fn down;         /* NULL: irreversible */
  const void* user_data;   /* for the step functions; the runner never reads it */
} lm_migration;

/* The exported descriptor. begin/end delimit an array of pointers to
 * migrations; NULL entries are skipped. */
typedef struct lm_plugin {
  uint32_t struct_size;
  uint32_t abi_version; /* LM_ABI_VERSION the plugin was built with */
  const lm_migration* const* begin;
  const lm_migration* const* end;
  const char* sdk_version; /* informational, may be NULL */
} lm_plugin;

/* Registration without load-time code: each registered migration adds one
 * pointer to the linker section LM_MIGRATION_SECTION, which the SDK's plugin
 * entry turns into begin/end. */
#if defined(_WIN32) || defined(__CYGWIN__)
#define LM_MIGRATION_SECTION "lm_migr$m"
#else
#define LM_MIGRATION_SECTION "lm_migrations"
#endif

#define LM_CONCAT_INNER_(a, b) a##b
#define LM_CONCAT_(a, b) LM_CONCAT_INNER_(a, b)

/* Pointer-free metadata, readable from the library file without loading it,
 * so `status` and a run with nothing to do need not load every plugin. The
 * C++ LINK_MIGRATION macro writes one record per migration into the linker
 * section LM_META_SECTION; a plugin without the section is read by loading
 * it in a short-lived checking process (never in the runner's own).
 * The runner checks the records against the descriptors whenever it loads
 * the plugin. Fixed layout: never changes; a new layout gets a new magic. */
#define LM_META_SECTION "lm_meta"
#define LM_META_MAGIC 0x314d4d4cu /* "LMM1" little-endian */
#define LM_META_NAME_MAX 120
#define LM_META_CHECKSUM_MAX 80

typedef struct lm_meta_record {
  uint32_t magic;                       /* LM_META_MAGIC */
  uint32_t struct_size;                 /* sizeof(lm_meta_record) == 224 */
  int64_t version;
  uint32_t flags;                       /* as lm_migration.flags */
  uint32_t reversible;                  /* 1 when down is set */
  char name[LM_META_NAME_MAX];          /* NUL-terminated; empty: too long, load the plugin */
  char checksum[LM_META_CHECKSUM_MAX];  /* NUL-terminated, may be empty */
} lm_meta_record;

/* Set per source file by link_migration_add_migration(): "sha256:<hex>" of
 * the file's text with CRLF folded to LF. NULL when built without it. */
#ifndef LM_SOURCE_CHECKSUM
#define LM_SOURCE_CHECKSUM NULL
#endif

/* LM_REGISTER_MIGRATION(descriptor): descriptor is a static lm_migration. */
#define LM_REGISTER_MIGRATION(descriptor)                                                   \
  __attribute__((used, section(LM_MIGRATION_SECTION))) static const lm_migration*         \
      LM_CONCAT_(lm_registered_migration_, __COUNTER__) = &(descriptor)

#ifdef __cplusplus
}
#endif

#endif /* LINK_MIGRATION_MIGRATION_H */
