// Version 44: adds its ledger row and a row of params.blob_bytes zero bytes
// to table "blob", in the step's transaction: large enough, and the commit
// needs more disk than a test leaves free.
#include <cstdint>
#include <string>

#include "ledger.hpp"

LINK_MIGRATION({
    .version = 44,
    .name = "blob_44",
    .up =
        [](link_migration::Context& ctx) {
          ledger::add(ctx, 44);
          const std::int64_t bytes = std::stoll(ctx.param("blob_bytes").value_or("1024"));
          ledger::with_db(ctx, [&](sqlite3* db) {
            link_migration::sqlite::exec(db, "CREATE TABLE IF NOT EXISTS blob (data BLOB NOT NULL)");
            link_migration::sqlite::Statement(db, "INSERT INTO blob (data) VALUES (zeroblob(?1))")
                .bind_int64(1, bytes)
                .run();
          });
        },
    .down =
        [](link_migration::Context& ctx) {
          ledger::with_db(ctx, [](sqlite3* db) { link_migration::sqlite::exec(db, "DROP TABLE IF EXISTS blob"); });
          ledger::remove(ctx, 44);
        },
});
