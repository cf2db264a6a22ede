// Version 4: a data migration. Fills books.currency from the config's
// params.default_currency and writes one data-changelog row per book it
// changes (the audit CSV kept with the version's record).
#include <cstdint>
#include <cstdio>
#include <link_migration/migration.hpp>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "bookshop.hpp"

using link_migration::Context;
namespace sqlite = link_migration::sqlite;

namespace {

// params.default_currency, checked; "EUR" with a warning when absent.
std::string default_currency(const Context& ctx) {
  std::string code = ctx.param_string("default_currency");
  if (code.empty()) {
    ctx.warn("params.default_currency is not set; using EUR");
    return "EUR";
  }
  const bool three_capitals = code.size() == 3 && [&] {
    for (char c : code)
      if (c < 'A' || c > 'Z') return false;
    return true;
  }();
  if (!three_capitals) {
    throw std::runtime_error(
        "params.default_currency must be an ISO 4217 code such as \"EUR\", not " + code);
  }
  return code;
}

// Sets books.currency from `from` (NULL when from is empty) to `to` (NULL when
// empty), logging each changed book in the changelog. Returns how many.
int change_currency(const Context& ctx, sqlite3* db, const std::string& from,
                    const std::string& to) {
  // Read first, then write: rows are not changed under an open SELECT.
  std::vector<std::pair<std::int64_t, std::string>> books;
  sqlite::Statement select(
      db, from.empty() ? "SELECT id, title FROM books WHERE currency IS NULL ORDER BY id"
                       : "SELECT id, title FROM books WHERE currency = ?1 ORDER BY id");
  if (!from.empty()) select.bind_text(1, from);
  while (select.step()) books.emplace_back(select.column_int64(0), select.column_text(1));

  ctx.changelog_columns({"book_id", "title", "currency_before", "currency_after"});
  sqlite::Statement update(db, "UPDATE books SET currency = ?1 WHERE id = ?2");
  for (const auto& [id, title] : books) {
    if (to.empty()) {
      update.bind_null(1);
    } else {
      update.bind_text(1, to);
    }
    update.bind_int64(2, id).run();
    update.reset();
    ctx.changelog_row({std::to_string(id), title, from, to});
  }
  return static_cast<int>(books.size());
}

}  // namespace

LINK_MIGRATION({
    .version = 4,
    .name = "backfill_books_currency",
    .description =
        "Sets books.currency to params.default_currency (default EUR) wherever it is NULL, "
        "recording every changed book in the data changelog.",
    .up =
        [](Context& ctx) {
          const std::string currency = default_currency(ctx);
          ctx.info("backfilling books.currency with " + currency);
          int changed = 0;
          bookshop::with_database(
              ctx, [&](sqlite3* db) { changed = change_currency(ctx, db, "", currency); });
          // Plain output works too: the runner shows it under the step.
          std::printf("backfill: %d book(s) now priced in %s\n", changed, currency.c_str());
          std::fflush(stdout);
        },
    .down =
        [](Context& ctx) {
          const std::string currency = default_currency(ctx);
          int changed = 0;
          bookshop::with_database(
              ctx, [&](sqlite3* db) { changed = change_currency(ctx, db, currency, ""); });
          ctx.info("cleared books.currency on " + std::to_string(changed) + " book(s)");
        },
    .down_note =
        "Sets books.currency back to NULL where it equals params.default_currency, the value "
        "up wrote: keep that param unchanged between up and down.",
});
