/*
 * link-migration plugin ABI: what every plugin and the runner share.
 *
 * Conventions, for every header under link_migration/:
 *  - Only C types cross the boundary: fixed-width integers, const char* (UTF-8,
 *    NUL-terminated), POD structs and function pointers. No C++ exception may
 *    leave a plugin function; no allocation is freed on the other side.
 *  - Every struct that may grow starts with `uint32_t struct_size` (the sizeof
 *    the writer compiled against). Fields are only ever appended; a reader uses
 *    a field only when struct_size covers it. See docs/abi.md.
 *  - Strings handed to a callee are borrowed: valid only for the duration of
 *    the call unless the contract of the field says otherwise.
 *  - Functions that can fail return an lm_result and, on failure, write a
 *    one-line message into a caller-owned lm_error.
 *  - One thread: the runner calls every plugin and store function, and loads
 *    every plugin, from one thread of the process (the worker's or the
 *    runner's main thread), never from two. A plugin needs no locks against
 *    the runner; threads it starts itself are its own to synchronise.
 */
#ifndef LINK_MIGRATION_ABI_H
#define LINK_MIGRATION_ABI_H

#include <stddef.h>
#include <stdint.h>

/* Bumped only if an incompatible change is ever made; the runner refuses
 * plugins of any other ABI version before calling into them. */
#define LM_ABI_VERSION 1u

#if defined(_WIN32) || defined(__CYGWIN__)
#define LM_EXPORT __declspec(dllexport)
#else
#define LM_EXPORT __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
#define LM_EXTERN_C extern "C"
#else
#define LM_EXTERN_C
#endif

typedef int32_t lm_result;

/* Result codes. Values are part of the ABI and never change meaning. */
#define LM_OK 0
#define LM_ERROR 1              /* generic failure; the lm_error says why */
#define LM_ERR_UNSUPPORTED 2    /* the callee does not offer this operation */
#define LM_ERR_LOCK_TIMEOUT 3   /* a lock could not be taken in time; message names the holder */
#define LM_ERR_NOT_FOUND 4      /* the thing asked for does not exist */
#define LM_ERR_CORRUPT 5        /* stored data cannot be read; nothing was changed */
#define LM_ERR_UNAVAILABLE 6    /* the target could not be reached */
/* Appended after ABI 1's first release: */
#define LM_ERR_OPTION 7         /* a store's open: an option is unknown, missing or wrong;
                                   lm_store_open_args.option_key names it */

#define LM_ERROR_MESSAGE_MAX 1024

/* Caller-owned error buffer. The callee writes a NUL-terminated, single-line
 * message (truncated to fit) when it returns a code other than LM_OK. */
typedef struct lm_error {
  char message[LM_ERROR_MESSAGE_MAX];
} lm_error;

#endif /* LINK_MIGRATION_ABI_H */
