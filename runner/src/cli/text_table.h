// Aligned columns for status and history: widths come from the content, so
// nothing is cut and nothing wastes space. Colour is added after padding,
// so escape codes never skew the alignment.
#ifndef LINK_MIGRATION_RUNNER_TEXT_TABLE_H
#define LINK_MIGRATION_RUNNER_TEXT_TABLE_H

#include <cstdio>
#include <deque>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "cli/palette.h"

namespace lm {

// A cell borrows its text: status prints a row per version, and copying
// every name and time into the table cost more than printing them.
struct TableCell {
  std::string_view text;
  Colour colour = Colour::kNone;
};

class TextTable {
 public:
  enum class Align { kLeft, kRight };
  struct Column {
    std::string heading;
    Align align = Align::kLeft;
  };

  explicit TextTable(std::vector<Column> columns) : columns_(std::move(columns)) {}

  // Text made for the table (a number, a state with a note) kept by it;
  // the view stays valid as long as the table.
  std::string_view Keep(std::string text) { return kept_.emplace_back(std::move(text)); }
  // REQUIRES: one cell per column, whose text outlives Print (or is Kept).
  void AddRow(std::initializer_list<TableCell> cells) { cells_.insert(cells_.end(), cells.begin(), cells.end()); }
  void ReserveRows(size_t rows) { cells_.reserve(rows * columns_.size()); }
  // The heading and every row, columns two spaces apart, no trailing blanks.
  void Print(std::FILE* out, const Palette& palette) const;

 private:
  std::vector<Column> columns_;
  std::vector<TableCell> cells_;  // row after row
  std::deque<std::string> kept_;  // a deque never moves what it holds
};

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_TEXT_TABLE_H
