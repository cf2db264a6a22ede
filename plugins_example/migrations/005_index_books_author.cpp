// Version 5: an index for "books by this author". Deliberately declared
// without a description: the name says it all, and the runner copes.
#include <link_migration/migration.hpp>

#include "bookshop.hpp"

using link_migration::Context;

LINK_MIGRATION({
    .version = 5,
    .name = "index_books_author",
    .up =
        [](Context& ctx) {
          bookshop::exec(ctx, "CREATE INDEX books_author_id ON books (author_id)");
        },
    .down = [](Context& ctx) { bookshop::exec(ctx, "DROP INDEX books_author_id"); },
});
