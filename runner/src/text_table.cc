#include "text_table.h"

#include <algorithm>

namespace lm {
namespace {

// Columns are measured in code points, so a UTF-8 name does not push the
// columns after it out of line.
size_t Width(const std::string& text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

}  // namespace

void TextTable::Print(std::FILE* out, const Palette& palette) const {
  std::vector<size_t> widths;
  for (const Column& column : columns_) widths.push_back(Width(column.heading));
  for (const std::vector<TableCell>& row : rows_)
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) widths[i] = std::max(widths[i], Width(row[i].text));

  auto print_row = [&](const std::vector<TableCell>& cells) {
    std::string line;
    for (size_t i = 0; i < columns_.size(); ++i) {
      const TableCell cell = i < cells.size() ? cells[i] : TableCell{};
      const std::string padding(widths[i] - Width(cell.text), ' ');
      const bool last = i + 1 == columns_.size();
      if (i > 0) line += "  ";
      if (columns_[i].align == Align::kRight) {
        line += padding + palette.Paint(cell.text, cell.colour);
      } else {
        line += palette.Paint(cell.text, cell.colour) + (last ? "" : padding);
      }
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::fprintf(out, "%s\n", line.c_str());
  };
  std::vector<TableCell> heading;
  for (const Column& column : columns_) heading.push_back({column.heading, Colour::kBold});
  print_row(heading);
  for (const std::vector<TableCell>& row : rows_) print_row(row);
}

}  // namespace lm
