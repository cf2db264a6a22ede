/* A version store written in plain C against the descriptors of an older or
 * a newer SDK (abi_first_release.h), for the struct_size fixtures of
 * tests/cli/abi_shapes_test.cc. tests/plugins/CMakeLists.txt builds it
 * several times, choosing three shapes:
 *
 *   STORE_API_SHAPE  the exported lm_store_api: SHAPE_TOO_SMALL (the five
 *                    required functions only), SHAPE_FIRST (ABI 1's first
 *                    release, before in_transaction), SHAPE_NEXT (with
 *                    in_transaction) or SHAPE_NEWER (then two fields no
 *                    runner knows yet);
 *   RECORD_SHAPE     the lm_record it lists: SHAPE_TOO_SMALL (ends before
 *   EVENT_SHAPE      the version), SHAPE_SMALLEST (ends with the version),
 *                    SHAPE_FIRST or SHAPE_NEWER (two fields appended);
 *                    likewise the lm_event.
 *
 * It keeps its records and history in abi_shapes_store.txt beside the
 * config, one tab-separated line each ("R", version, state, name, checksum,
 * applied_at; "E", version, kind, name, at), and keeps of what the runner
 * hands it only the fields its own shapes have, as a store built with that
 * SDK would. No transactions, no lock: history is its only option. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi_first_release.h"

#define SHAPE_TOO_SMALL 0
#define SHAPE_SMALLEST 1
#define SHAPE_FIRST 2
#define SHAPE_NEXT 3 /* lm_store_api only: the release that appended in_transaction */
#define SHAPE_NEWER 4

#if !defined(STORE_API_SHAPE) || !defined(RECORD_SHAPE) || !defined(EVENT_SHAPE)
#error "define STORE_API_SHAPE, RECORD_SHAPE and EVENT_SHAPE"
#endif

/* ---- The shapes ---- */

#if RECORD_SHAPE == SHAPE_TOO_SMALL
typedef struct listed_record {
  uint32_t struct_size;
  int32_t state;
} listed_record;
#elif RECORD_SHAPE == SHAPE_SMALLEST
typedef struct listed_record {
  uint32_t struct_size;
  int32_t state;
  int64_t version;
} listed_record;
#elif RECORD_SHAPE == SHAPE_FIRST
typedef first_record listed_record;
#else
typedef struct listed_record {
  first_record first;
  const char* future_text;
  int64_t future_number;
} listed_record;
#endif

#if EVENT_SHAPE == SHAPE_TOO_SMALL
typedef struct listed_event {
  uint32_t struct_size;
} listed_event;
#elif EVENT_SHAPE == SHAPE_SMALLEST
typedef struct listed_event {
  uint32_t struct_size;
  int64_t version;
} listed_event;
#elif EVENT_SHAPE == SHAPE_FIRST
typedef first_event listed_event;
#else
typedef struct listed_event {
  first_event first;
  const char* future_text;
  int64_t future_number;
} listed_event;
#endif

/* What this store's shapes let it keep of a record or an event. */
#define KEEPS_RECORD_TEXT (RECORD_SHAPE >= SHAPE_FIRST)
#define KEEPS_EVENT_TEXT (EVENT_SHAPE >= SHAPE_FIRST)

/* ---- The store ---- */

#define MAX_LINES 64
#define TEXT_MAX 128
#define LINE_MAX_BYTES 1024

typedef struct line {
  char kind; /* 'R' record, 'E' event */
  int64_t version;
  int32_t state;
  char name[TEXT_MAX];
  char checksum[TEXT_MAX]; /* records; an event's kind */
  char at[TEXT_MAX];
} line;

struct first_store {
  char path[4096];
  size_t count;
  line lines[MAX_LINES];
};

static lm_result fail(lm_error* err, const char* what, const char* detail) {
  /* A message longer than the buffer is cut, on purpose: its start says what
     failed. (Using the result tells GCC the cut is meant.) */
  if (snprintf(err->message, sizeof err->message, "%s%s%s", what, detail[0] ? ": " : "", detail) < 0)
    err->message[0] = '\0';
  return LM_ERROR;
}

/* Copies text that fits and holds no separator; NULL reads as "". */
static int keep_text(const char* text, char* out) {
  if (text == NULL) text = "";
  if (strlen(text) >= TEXT_MAX || strpbrk(text, "\t\n") != NULL) return 0;
  strcpy(out, text);
  return 1;
}

#if KEEPS_RECORD_TEXT || KEEPS_EVENT_TEXT
static const char* lend_text(const char* text) { return text[0] ? text : NULL; }
#endif

static lm_result save(const first_store* store, lm_error* err) {
  FILE* file = fopen(store->path, "w");
  if (file == NULL) return fail(err, store->path, strerror(errno));
  for (size_t i = 0; i < store->count; ++i) {
    const line* entry = &store->lines[i];
    if (entry->kind == 'R')
      fprintf(file, "R\t%lld\t%d\t%s\t%s\t%s\n", (long long)entry->version, (int)entry->state, entry->name,
              entry->checksum, entry->at);
    else
      fprintf(file, "E\t%lld\t%s\t%s\t%s\n", (long long)entry->version, entry->checksum, entry->name, entry->at);
  }
  if (fclose(file) != 0) return fail(err, store->path, strerror(errno));
  return LM_OK;
}

/* Splits `text` at tabs in place into at most `max` fields; the count. */
static int split(char* text, char** fields, int max) {
  int count = 0;
  while (count < max) {
    fields[count++] = text;
    char* tab = strchr(text, '\t');
    if (tab == NULL) break;
    *tab = '\0';
    text = tab + 1;
  }
  return count;
}

static lm_result load(first_store* store, lm_error* err) {
  FILE* file = fopen(store->path, "r");
  if (file == NULL) return errno == ENOENT ? LM_OK : fail(err, store->path, strerror(errno));
  char text[LINE_MAX_BYTES];
  lm_result result = LM_OK;
  while (result == LM_OK && fgets(text, sizeof text, file) != NULL) {
    text[strcspn(text, "\n")] = '\0';
    char* fields[6];
    const int count = split(text, fields, 6);
    line* entry = &store->lines[store->count];
    const int is_record = count == 6 && strcmp(fields[0], "R") == 0;
    const int is_event = count == 5 && strcmp(fields[0], "E") == 0;
    if (store->count == MAX_LINES || (!is_record && !is_event)) {
      result = fail(err, store->path, "damaged line");
      break;
    }
    memset(entry, 0, sizeof *entry);
    entry->kind = fields[0][0];
    entry->version = strtoll(fields[1], NULL, 10);
    if (is_record) {
      entry->state = (int32_t)strtol(fields[2], NULL, 10);
      if (!keep_text(fields[3], entry->name) || !keep_text(fields[4], entry->checksum) ||
          !keep_text(fields[5], entry->at))
        result = fail(err, store->path, "damaged line");
    } else if (!keep_text(fields[2], entry->checksum) || !keep_text(fields[3], entry->name) ||
               !keep_text(fields[4], entry->at)) {
      result = fail(err, store->path, "damaged line");
    }
    ++store->count;
  }
  fclose(file);
  return result;
}

static lm_result store_open(const first_store_open_args* args, first_store** out, lm_error* err) {
  first_store* store = calloc(1, sizeof *store);
  if (store == NULL) return fail(err, "out of memory", "");
  snprintf(store->path, sizeof store->path, "%s/abi_shapes_store.txt", args->config_dir);
  const lm_result result = load(store, err);
  if (result != LM_OK) {
    free(store);
    return result;
  }
  *out = store;
  return LM_OK;
}

static void store_close(first_store* store) { free(store); }

static lm_result list_records(first_store* store, first_record_visitor visit, void* user, lm_error* err) {
  (void)err;
  for (size_t i = 0; i < store->count; ++i) {
    const line* entry = &store->lines[i];
    if (entry->kind != 'R') continue;
    listed_record record;
    memset(&record, 0, sizeof record);
#if RECORD_SHAPE == SHAPE_TOO_SMALL || RECORD_SHAPE == SHAPE_SMALLEST
    record.struct_size = sizeof record;
    record.state = entry->state;
#if RECORD_SHAPE == SHAPE_SMALLEST
    record.version = entry->version;
#endif
#else
    first_record* first = (first_record*)&record;
    first->struct_size = sizeof record;
    first->state = entry->state;
    first->version = entry->version;
    first->name = lend_text(entry->name);
    first->checksum = lend_text(entry->checksum);
    first->applied_at = lend_text(entry->at);
#if RECORD_SHAPE == SHAPE_NEWER
    record.future_text = "a field no runner knows yet";
    record.future_number = -1;
#endif
#endif
    const lm_result result = visit(user, &record);
    if (result != LM_OK) return result;
  }
  return LM_OK;
}

static line* find_record(first_store* store, int64_t version) {
  for (size_t i = 0; i < store->count; ++i)
    if (store->lines[i].kind == 'R' && store->lines[i].version == version) return &store->lines[i];
  return NULL;
}

/* The runner writes its own, newer or equal, struct_size: the fields this
 * store knows sit at the offsets it knows, and the rest is not read. */
static lm_result put_record(first_store* store, const void* raw, lm_error* err) {
  const first_record* record = raw;
  line* entry = find_record(store, record->version);
  if (entry == NULL) {
    if (store->count == MAX_LINES) return fail(err, "full", "");
    entry = &store->lines[store->count++];
  }
  memset(entry, 0, sizeof *entry);
  entry->kind = 'R';
  entry->version = record->version;
  entry->state = record->state;
#if KEEPS_RECORD_TEXT
  if (record->struct_size >= sizeof(first_record) &&
      (!keep_text(record->name, entry->name) || !keep_text(record->checksum, entry->checksum) ||
       !keep_text(record->applied_at, entry->at)))
    return fail(err, "a record's text is too long or holds a tab", "");
#endif
  return save(store, err);
}

static lm_result delete_record(first_store* store, int64_t version, lm_error* err) {
  line* entry = find_record(store, version);
  if (entry == NULL) return LM_OK;
  memmove(entry, entry + 1, (size_t)(store->lines + store->count - (entry + 1)) * sizeof *entry);
  --store->count;
  return save(store, err);
}

static lm_result append_event(first_store* store, const void* raw, lm_error* err) {
  const first_event* event = raw;
  if (store->count == MAX_LINES) return fail(err, "full", "");
  line* entry = &store->lines[store->count++];
  memset(entry, 0, sizeof *entry);
  entry->kind = 'E';
  entry->version = event->version;
#if KEEPS_EVENT_TEXT
  if (event->struct_size >= sizeof(first_event) &&
      (!keep_text(event->kind, entry->checksum) || !keep_text(event->name, entry->name) ||
       !keep_text(event->at, entry->at)))
    return fail(err, "an event's text is too long or holds a tab", "");
#endif
  return save(store, err);
}

static lm_result list_events(first_store* store, first_event_visitor visit, void* user, lm_error* err) {
  (void)err;
  for (size_t i = 0; i < store->count; ++i) {
    const line* entry = &store->lines[i];
    if (entry->kind != 'E') continue;
    listed_event event;
    memset(&event, 0, sizeof event);
#if EVENT_SHAPE == SHAPE_TOO_SMALL || EVENT_SHAPE == SHAPE_SMALLEST
    event.struct_size = sizeof event;
#if EVENT_SHAPE == SHAPE_SMALLEST
    event.version = entry->version;
#endif
#else
    first_event* first = (first_event*)&event;
    first->struct_size = sizeof event;
    first->version = entry->version;
    first->kind = lend_text(entry->checksum);
    first->name = lend_text(entry->name);
    first->at = lend_text(entry->at);
#if EVENT_SHAPE == SHAPE_NEWER
    event.future_text = "a field no runner knows yet";
    event.future_number = -1;
#endif
#endif
    const lm_result result = visit(user, &event);
    if (result != LM_OK) return result;
  }
  return LM_OK;
}

/* ---- The exported descriptor ---- */

#if STORE_API_SHAPE == SHAPE_TOO_SMALL
/* One field short of the smallest the runner accepts: native_handle. */
typedef struct exported_api {
  uint32_t struct_size;
  uint32_t abi_version;
  uint64_t capabilities;
  const char* name;
  lm_result (*open)(const first_store_open_args* args, first_store** out, lm_error* err);
  void (*close)(first_store* store);
  lm_result (*list_records)(first_store* store, first_record_visitor visit, void* user, lm_error* err);
  lm_result (*put_record)(first_store* store, const void* record, lm_error* err);
  lm_result (*delete_record)(first_store* store, int64_t version, lm_error* err);
  lm_result (*append_event)(first_store* store, const void* event, lm_error* err);
  lm_result (*list_events)(first_store* store, first_event_visitor visit, void* user, lm_error* err);
  lm_result (*begin)(first_store* store, lm_error* err);
  lm_result (*commit)(first_store* store, lm_error* err);
  lm_result (*rollback)(first_store* store, lm_error* err);
  lm_result (*lock)(first_store* store, int64_t timeout_ms, lm_error* err);
  lm_result (*unlock)(first_store* store, lm_error* err);
} exported_api;
#elif STORE_API_SHAPE == SHAPE_FIRST
typedef struct exported_api {
  FIRST_STORE_API_FIELDS
} exported_api;
#elif STORE_API_SHAPE == SHAPE_NEXT
typedef struct exported_api {
  FIRST_STORE_API_FIELDS
  int32_t (*in_transaction)(first_store* store); /* NULL: no transactions */
} exported_api;
#else
/* A runner that read these would die: they are not its to call. */
static void never_called(first_store* store) {
  (void)store;
  abort();
}

typedef struct exported_api {
  FIRST_STORE_API_FIELDS
  int32_t (*in_transaction)(first_store* store); /* appended since; NULL: no transactions */
  void (*future_service)(first_store* store);
  const char* future_name;
} exported_api;
#endif

LM_EXPORT const exported_api link_migration_store = {
    .struct_size = sizeof(exported_api),
    .abi_version = FIRST_ABI_VERSION,
    .capabilities = FIRST_STORE_CAP_HISTORY,
    .name = "abi-shapes",
    .open = store_open,
    .close = store_close,
    .list_records = list_records,
    .put_record = put_record,
    .delete_record = delete_record,
    .append_event = append_event,
    .list_events = list_events,
#if STORE_API_SHAPE == SHAPE_NEWER
    .future_service = never_called,
    .future_name = "a field no runner knows yet",
#endif
};
