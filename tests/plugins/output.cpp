// Version 34: prints (printf, std::cout, stderr) and logs (ctx.info/warn/
// debug) in turn; the runner must keep the lines in this order. The last
// printf has no newline.
#include <cstdio>
#include <iostream>

#include "ledger.hpp"

LINK_MIGRATION({
    .version = 34,
    .name = "output_34",
    .description = "Prints and logs, interleaved.",
    .up =
        [](link_migration::Context& ctx) {
          std::printf("printf line 1\n");
          ctx.info("info line 2");
          std::cout << "cout line 3\n";
          ctx.warn("warn line 4");
          std::fprintf(stderr, "stderr line 5\n");
          ctx.debug("debug line 6");
          std::printf("printf line 7\n");
          std::cout << "cout line 8" << std::endl;
          ctx.error("error line 9");
          std::printf("printf line 10 without newline");
        },
    .down = [](link_migration::Context& ctx) { ctx.info("down of output_34"); },
});
