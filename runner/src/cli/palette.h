// Colour for people at a terminal, and never otherwise: not in a pipe or a
// file, not with NO_COLOR set (https://no-color.org), --no-color or -o json.
#ifndef LINK_MIGRATION_RUNNER_PALETTE_H
#define LINK_MIGRATION_RUNNER_PALETTE_H

#include <cstdio>
#include <string>
#include <string_view>

namespace lm {

enum class Colour { kNone, kGreen, kYellow, kRed, kBold, kDim };

class Palette {
 public:
  Palette() = default;  // no colour
  explicit Palette(bool enabled) : enabled_(enabled) {}

  // Colour when `stream` is a terminal, NO_COLOR is unset or empty, TERM is
  // not "dumb" and the caller does not forbid it.
  static Palette For(std::FILE* stream, bool forbidden);

  bool enabled() const { return enabled_; }
  // `text` wrapped in the colour's escape codes, or as is.
  std::string Paint(std::string_view text, Colour colour) const;

 private:
  bool enabled_ = false;
};

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_PALETTE_H
