// Version 37: prints 200,000 numbered lines (about 3 MB), far more than a
// pipe holds, with a log line every 50,000; the runner must show every one,
// in order, and still finish the step.
#include <cstdio>
#include <string>

#include "ledger.hpp"

LINK_MIGRATION({
    .version = 37,
    .name = "chatty_37",
    .description = "Prints much more than a pipe holds.",
    .up =
        [](link_migration::Context& ctx) {
          for (int line = 1; line <= 200000; ++line) {
            std::printf("chatty line %d\n", line);
            if (line % 50000 == 0) ctx.info("logged after line " + std::to_string(line));
          }
        },
    .down = [](link_migration::Context&) {},
});
