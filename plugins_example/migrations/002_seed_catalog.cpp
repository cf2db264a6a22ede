// Version 2: a few authors and books to work with, inserted through prepared
// statements.
#include <cstdint>
#include <iterator>
#include <link_migration/migration.hpp>
#include <string>

#include "bookshop.hpp"

using link_migration::Context;
namespace sqlite = link_migration::sqlite;

namespace {

struct Author {
  std::int64_t id;
  const char* name;
};

struct Book {
  std::int64_t id;
  std::int64_t author_id;
  const char* title;
  std::int64_t price_cents;
  const char* legacy_sku;  // nullptr: the old system never had it
};

constexpr Author kAuthors[] = {
    {1, "Ursula K. Le Guin"},
    {2, "Italo Calvino"},
    {3, "Toni Morrison"},
};

constexpr Book kBooks[] = {
    {1, 1, "A Wizard of Earthsea", 1299, "OLD-0001"},
    {2, 1, "The Dispossessed", 1450, "OLD-0002"},
    {3, 2, "Invisible Cities", 1100, "OLD-0003"},
    {4, 2, "If on a winter's night a traveler", 1350, "OLD-0004"},
    {5, 3, "Beloved", 1500, "OLD-0005"},
    {6, 3, "Song of Solomon", 1400, nullptr},
};

}  // namespace

LINK_MIGRATION({
    .version = 2,
    .name = "seed_catalog",
    .description = "Inserts three authors and six books (ids 1-3 and 1-6).",
    .up =
        [](Context& ctx) {
          bookshop::with_database(ctx, [&](sqlite3* db) {
            sqlite::Statement author(db, "INSERT INTO authors (id, name) VALUES (?1, ?2)");
            for (const Author& a : kAuthors) {
              author.bind_int64(1, a.id).bind_text(2, a.name).run();
              author.reset();
            }
            sqlite::Statement book(
                db,
                "INSERT INTO books (id, author_id, title, price_cents, legacy_sku) "
                "VALUES (?1, ?2, ?3, ?4, ?5)");
            for (const Book& b : kBooks) {
              book.bind_int64(1, b.id).bind_int64(2, b.author_id).bind_text(3, b.title);
              book.bind_int64(4, b.price_cents);
              if (b.legacy_sku != nullptr) {
                book.bind_text(5, b.legacy_sku);
              } else {
                book.bind_null(5);
              }
              book.run();
              book.reset();
            }
          });
          ctx.info("inserted " + std::to_string(std::size(kAuthors)) + " authors and " +
                   std::to_string(std::size(kBooks)) + " books");
        },
    .down =
        [](Context& ctx) {
          bookshop::exec(ctx, R"sql(
            DELETE FROM books WHERE id BETWEEN 1 AND 6;
            DELETE FROM authors WHERE id BETWEEN 1 AND 3;
          )sql");
        },
});
