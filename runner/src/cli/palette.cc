#include "cli/palette.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace lm {
namespace {

const char* Code(Colour colour) {
  switch (colour) {
    case Colour::kNone:
      return "";
    case Colour::kGreen:
      return "\x1b[32m";
    case Colour::kYellow:
      return "\x1b[33m";
    case Colour::kRed:
      return "\x1b[31m";
    case Colour::kBold:
      return "\x1b[1m";
    case Colour::kDim:
      return "\x1b[2m";
  }
  return "";
}

bool Set(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && value[0] != '\0';
}

}  // namespace

Palette Palette::For(std::FILE* stream, bool forbidden) {
  if (forbidden || Set("NO_COLOR")) return Palette(false);
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::strcmp(term, "dumb") == 0) return Palette(false);
  return Palette(isatty(fileno(stream)) == 1);
}

std::string Palette::Paint(std::string_view text, Colour colour) const {
  if (!enabled_ || colour == Colour::kNone || text.empty()) return std::string(text);
  return std::string(Code(colour)) + std::string(text) + "\x1b[0m";
}

}  // namespace lm
