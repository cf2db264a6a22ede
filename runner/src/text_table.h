// Aligned columns for status and history: widths come from the content, so
// nothing is cut and nothing wastes space. Colour is added after padding,
// so escape codes never skew the alignment.
#ifndef LINK_MIGRATION_RUNNER_TEXT_TABLE_H
#define LINK_MIGRATION_RUNNER_TEXT_TABLE_H

#include <cstdio>
#include <string>
#include <vector>

#include "palette.h"

namespace lm {

struct TableCell {
  std::string text;
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

  // REQUIRES: one cell per column.
  void AddRow(std::vector<TableCell> cells) { rows_.push_back(std::move(cells)); }
  // The heading and every row, columns two spaces apart, no trailing blanks.
  void Print(std::FILE* out, const Palette& palette) const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<TableCell>> rows_;
};

}  // namespace lm

#endif  // LINK_MIGRATION_RUNNER_TEXT_TABLE_H
