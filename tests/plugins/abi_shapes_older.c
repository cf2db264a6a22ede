/* Versions 60 and 61 as a plugin built with an older SDK than the runner's
 * (abi_first_release.h): its plugin descriptor is the smallest the runner
 * accepts (it ends before sdk_version), 60's migration descriptor too (it
 * ends with down, before user_data), and 61's is the first release's whole
 * layout, with a down step and user_data that the step reads back. */
#include "abi_first_release.h"

typedef struct smallest_migration {
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
} smallest_migration;

typedef struct smallest_plugin {
  uint32_t struct_size;
  uint32_t abi_version;
  const void* const* begin;
  const void* const* end;
} smallest_plugin;

static lm_result smallest_up(const first_migration* self, const first_host* host, first_context* ctx) {
  (void)self;
  host->log(ctx, FIRST_LOG_INFO, "60 ran from a descriptor of the smallest size");
  return LM_OK;
}

static lm_result first_up(const first_migration* self, const first_host* host, first_context* ctx) {
  host->log(ctx, FIRST_LOG_INFO, (const char*)self->user_data);
  return LM_OK;
}

static lm_result first_down(const first_migration* self, const first_host* host, first_context* ctx) {
  (void)self;
  host->log(ctx, FIRST_LOG_INFO, "61 reverted");
  return LM_OK;
}

static const smallest_migration smallest_60 = {
    .struct_size = sizeof(smallest_migration),
    .version = 60,
    .name = "smallest_60",
    .up = smallest_up,
};

static const first_migration first_release_61 = {
    .struct_size = sizeof(first_migration),
    .version = 61,
    .name = "first_release_61",
    .description = "A migration descriptor as ABI 1's first release wrote it.",
    .up = first_up,
    .down = first_down,
    .user_data = "61 ran from a first-release descriptor, user_data intact",
};

static const void* const migrations[] = {&smallest_60, &first_release_61};

LM_EXPORT const smallest_plugin link_migration_plugin = {
    sizeof(smallest_plugin), FIRST_ABI_VERSION, migrations, migrations + 2,
};
