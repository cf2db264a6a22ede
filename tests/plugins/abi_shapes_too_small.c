/* A plugin whose descriptor is one field shorter than the smallest the
 * runner accepts, built twice: with SHORT_PLUGIN its plugin descriptor ends
 * before `end` (version 63); without it, the plugin descriptor is whole and
 * version 64's migration descriptor ends before `down`. The runner must
 * refuse either, naming the file and the size, and call nothing in it. */
#include <stdlib.h>

#include "abi_first_release.h"

static lm_result never_run(const first_migration* self, const first_host* host, first_context* ctx) {
  (void)self;
  (void)host;
  (void)ctx;
  abort();
}

#ifdef SHORT_PLUGIN
static const first_migration whole_63 = {
    .struct_size = sizeof(first_migration), .version = 63, .name = "whole_63", .up = never_run};
static const first_migration* const migrations[] = {&whole_63};

typedef struct short_plugin {
  uint32_t struct_size;
  uint32_t abi_version;
  const first_migration* const* begin;
} short_plugin;

LM_EXPORT const short_plugin link_migration_plugin = {sizeof(short_plugin), FIRST_ABI_VERSION, migrations};
#else
typedef struct short_migration {
  uint32_t struct_size;
  uint32_t flags;
  int64_t version;
  const char* name;
  const char* description;
  const char* up_note;
  const char* down_note;
  const char* checksum;
  first_step_fn up;
} short_migration;

static const short_migration short_64 = {
    .struct_size = sizeof(short_migration), .version = 64, .name = "short_64", .up = never_run};
static const first_migration* const migrations[] = {(const first_migration*)&short_64};

LM_EXPORT const first_plugin link_migration_plugin = {
    sizeof(first_plugin), FIRST_ABI_VERSION, migrations, migrations + 1, "0.1.0"};
#endif
