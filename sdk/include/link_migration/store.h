/*
 * link-migration version-store plugin ABI (C).
 *
 * A version store remembers which migrations are applied. A store plugin is a
 * shared library exporting one of two contracts:
 *
 *  1. The full contract: a data symbol `link_migration_store` (LM_STORE_SYMBOL)
 *     of type lm_store_api. It keeps one record per version (its state, its
 *     checksum, who applied it and when), an event history, and may offer
 *     transactions, a lock and a native connection handle (capabilities).
 *
 *  2. The minimal contract of the original Python tool: two functions,
 *     `link_migration_get_current_version` and
 *     `link_migration_set_current_version` (signatures below). "Applied" then
 *     means every version up to the current one; the runner warns that
 *     history, checksums and locking are unavailable.
 *
 * Conventions are those of abi.h. Optional functions are NULL when the store
 * does not offer them, and the capability bits say so too. Every function of
 * a store, from open to close, is called from one thread (the worker's or
 * the runner's main thread), one call at a time.
 */
#ifndef LINK_MIGRATION_STORE_H
#define LINK_MIGRATION_STORE_H

#include "abi.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LM_STORE_SYMBOL "link_migration_store"
#define LM_STORE_GET_VERSION_SYMBOL "link_migration_get_current_version"
#define LM_STORE_SET_VERSION_SYMBOL "link_migration_set_current_version"

typedef struct lm_store lm_store; /* opaque, owned by the store plugin */

/* The state of one version. */
#define LM_STATE_APPLIED 1
#define LM_STATE_RUNNING 2            /* marked before a step that has no transaction */
#define LM_STATE_FAILED_ROLLED_BACK 3 /* failed inside a transaction: nothing stayed */
#define LM_STATE_FAILED_PARTIAL 4     /* failed or died without a transaction */

/* One version's record. A version that was never run or was reverted has no
 * record. Strings may be NULL where unknown. */
typedef struct lm_record {
  uint32_t struct_size;
  int32_t state;              /* LM_STATE_* */
  int64_t version;
  const char* name;
  const char* checksum;       /* "sha256:<hex>" as the migration declared it */
  const char* applied_at;     /* UTC ISO 8601, e.g. 2026-11-21T21:17:47.123Z */
  int64_t duration_ms;
  const char* applied_by;     /* user@host */
  const char* runner_version;
  const char* error;          /* last failure message */
  const char* changelog_path; /* the data changelog written by the step */
  int32_t attempts;           /* how many times up was started for this version */
  const char* run_id;         /* the run that wrote the record */
} lm_record;

/* Event kinds for the history. */
#define LM_EVENT_APPLY "apply"
#define LM_EVENT_REVERT "revert"
#define LM_EVENT_FAIL "fail"
#define LM_EVENT_MARK_APPLIED "mark-applied"
#define LM_EVENT_MARK_PENDING "mark-pending"
#define LM_EVENT_BASELINE "baseline"
#define LM_EVENT_REPAIR "repair"

/* One history event; stores append and never rewrite them. */
typedef struct lm_event {
  uint32_t struct_size;
  int64_t version;
  const char* kind;       /* LM_EVENT_* */
  const char* name;
  const char* at;         /* UTC ISO 8601 */
  const char* by;         /* user@host */
  int64_t duration_ms;
  const char* detail;     /* error message, repair reason, ... */
  const char* run_id;
} lm_event;

/* Who is running; stores that lock record it so a waiting runner can say
 * who holds the lock. */
typedef struct lm_owner {
  uint32_t struct_size;
  const char* user;
  const char* host;
  int64_t pid;
  const char* run_id;
  const char* started_at; /* UTC ISO 8601 */
} lm_owner;

typedef struct lm_store_open_args {
  uint32_t struct_size;
  const char* options_json; /* the config's store "options" object, "{}" when absent */
  const char* config_dir;   /* relative paths in options resolve against it */
  const lm_owner* owner;
  int32_t read_only;        /* non-zero: create nothing, change nothing (status, dry run) */

  /* Appended after ABI 1's first release: read it only when struct_size
   * covers it. */

  /* A caller-owned buffer of LM_OPTION_KEY_MAX bytes, or NULL. When open
   * returns LM_ERR_OPTION, the store writes into it the key of the options
   * object at fault ("database"), NUL-terminated, so the runner can name it
   * in the config ($.store.options.database); "" when the fault is the
   * options as a whole or the key does not fit. The lm_error still says
   * why, naming the key, for runners that pass no buffer. */
  char* option_key;
} lm_store_open_args;

#define LM_OPTION_KEY_MAX 256

/* Visitors for list functions; return LM_OK to continue, anything else stops
 * the listing and is returned by it. The record is borrowed for the call. */
typedef lm_result (*lm_record_visitor)(void* user, const lm_record* record);
typedef lm_result (*lm_event_visitor)(void* user, const lm_event* event);

/* lm_store_api.capabilities */
#define LM_STORE_CAP_TRANSACTIONS (1u << 0)  /* begin/commit/rollback, covering the native handle's work */
#define LM_STORE_CAP_LOCKING (1u << 1)       /* lock/unlock across processes and hosts */
#define LM_STORE_CAP_HISTORY (1u << 2)       /* append_event/list_events */
#define LM_STORE_CAP_NATIVE_HANDLE (1u << 3) /* native_handle */

typedef struct lm_store_api {
  uint32_t struct_size;
  uint32_t abi_version;
  uint64_t capabilities;
  const char* name; /* e.g. "sqlite" */

  /* Opens (and, unless read_only, creates) the store. On success *out is a
   * handle the runner passes to every other call and finally to close. A
   * read-only open of a store that does not exist yet succeeds and lists
   * nothing. */
  lm_result (*open)(const lm_store_open_args* args, lm_store** out, lm_error* err);
  void (*close)(lm_store* store);

  /* Records, ascending by version. */
  lm_result (*list_records)(lm_store* store, lm_record_visitor visit, void* user, lm_error* err);
  /* Inserts or replaces the record of record->version. */
  lm_result (*put_record)(lm_store* store, const lm_record* record, lm_error* err);
  /* Removes the record of a version (reverted, or marked pending). Removing a
   * version that has no record is not an error. */
  lm_result (*delete_record)(lm_store* store, int64_t version, lm_error* err);

  /* History, oldest first. Optional (LM_STORE_CAP_HISTORY). */
  lm_result (*append_event)(lm_store* store, const lm_event* event, lm_error* err);
  lm_result (*list_events)(lm_store* store, lm_event_visitor visit, void* user, lm_error* err);

  /* Optional (LM_STORE_CAP_TRANSACTIONS). Every put/delete/append between
   * begin and commit, and all work done through the native handle, becomes
   * durable together at commit or not at all. */
  lm_result (*begin)(lm_store* store, lm_error* err);
  lm_result (*commit)(lm_store* store, lm_error* err);
  lm_result (*rollback)(lm_store* store, lm_error* err);

  /* Optional (LM_STORE_CAP_LOCKING). lock waits at most timeout_ms (0: try
   * once; negative: wait forever) and returns LM_ERR_LOCK_TIMEOUT with the
   * holder named when it cannot. A lock whose holder died is taken over or
   * reported as stale, never held forever. */
  lm_result (*lock)(lm_store* store, int64_t timeout_ms, lm_error* err);
  lm_result (*unlock)(lm_store* store, lm_error* err);

  /* Optional (LM_STORE_CAP_NATIVE_HANDLE): the connection of that kind
   * ("sqlite3", "libpq"), or NULL. Owned by the store. */
  void* (*native_handle)(lm_store* store, const char* kind);

  /* Appended after ABI 1's first release: read it only when struct_size
   * covers it. */

  /* Optional (LM_STORE_CAP_TRANSACTIONS). Whether a transaction begun by
   * begin is still open: 1 while it is, 0 when none is (never begun,
   * committed, rolled back, or ended by the database itself, as SQLite ends
   * one whose COMMIT failed on a full disk), -1 when the store cannot tell
   * (the connection was lost during COMMIT, which may have happened). After
   * a failed commit, 0 tells the runner that nothing of the transaction
   * stayed, which a failed rollback cannot. */
  int32_t (*in_transaction)(lm_store* store);
} lm_store_api;

/* The minimal contract's two functions. */
typedef lm_result (*lm_get_current_version_fn)(const char* options_json, const char* config_dir,
                                               int64_t* version, lm_error* err);
typedef lm_result (*lm_set_current_version_fn)(const char* options_json, const char* config_dir,
                                               int64_t version, lm_error* err);

#ifdef __cplusplus
}
#endif

#endif /* LINK_MIGRATION_STORE_H */
