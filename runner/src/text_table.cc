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

  // One buffer for the whole table, written once: status prints a line per
  // version, and at 10,000 versions a string and a write per cell add up.
  std::string text;
  static const TableCell kEmpty;
  auto print_row = [&](const std::vector<TableCell>& cells) {
    const size_t start = text.size();
    for (size_t i = 0; i < columns_.size(); ++i) {
      const TableCell& cell = i < cells.size() ? cells[i] : kEmpty;
      const size_t padding = widths[i] - Width(cell.text);
      const bool right = columns_[i].align == Align::kRight;
      if (i > 0) text += "  ";
      if (right) text.append(padding, ' ');
      if (palette.enabled() && cell.colour != Colour::kNone) {
        text += palette.Paint(cell.text, cell.colour);
      } else {
        text += cell.text;
      }
      if (!right && i + 1 < columns_.size()) text.append(padding, ' ');
    }
    while (text.size() > start && text.back() == ' ') text.pop_back();
    text += '\n';
  };
  std::vector<TableCell> heading;
  for (const Column& column : columns_) heading.push_back({column.heading, Colour::kBold});
  print_row(heading);
  for (const std::vector<TableCell>& row : rows_) print_row(row);
  std::fwrite(text.data(), 1, text.size(), out);
}

}  // namespace lm
