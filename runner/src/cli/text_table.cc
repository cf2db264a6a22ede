#include "cli/text_table.h"

#include <algorithm>

namespace lm {
namespace {

// Columns are measured in code points, so a UTF-8 name does not push the
// columns after it out of line.
size_t Width(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

}  // namespace

void TextTable::Print(std::FILE* out, const Palette& palette) const {
  const size_t columns = columns_.size();
  std::vector<TableCell> heading;
  for (const Column& column : columns_) heading.push_back({column.heading, Colour::kBold});
  std::vector<size_t> widths(columns);
  std::vector<size_t> cell_widths(cells_.size());  // each cell measured once
  for (size_t i = 0; i < columns; ++i) widths[i] = Width(heading[i].text);
  for (size_t i = 0; i < cells_.size(); ++i) {
    cell_widths[i] = Width(cells_[i].text);
    widths[i % columns] = std::max(widths[i % columns], cell_widths[i]);
  }

  // One buffer for the whole table, written once: status prints a line per
  // version, and at 10,000 versions a write per cell adds up.
  std::string text;
  size_t line = columns * 2 + 1;
  for (size_t width : widths) line += width;
  text.reserve(line * (cells_.size() / std::max<size_t>(columns, 1) + 1));
  auto print_row = [&](const TableCell* cells, const size_t* cell_width) {
    const size_t start = text.size();
    for (size_t i = 0; i < columns; ++i) {
      const TableCell& cell = cells[i];
      const size_t padding = widths[i] - cell_width[i];
      const bool right = columns_[i].align == Align::kRight;
      if (i > 0) text += "  ";
      if (right) text.append(padding, ' ');
      if (palette.enabled() && cell.colour != Colour::kNone) {
        text += palette.Paint(cell.text, cell.colour);
      } else {
        text += cell.text;
      }
      if (!right && i + 1 < columns) text.append(padding, ' ');
    }
    while (text.size() > start && text.back() == ' ') text.pop_back();
    text += '\n';
  };
  std::vector<size_t> heading_widths(columns);
  for (size_t i = 0; i < columns; ++i) heading_widths[i] = Width(heading[i].text);
  print_row(heading.data(), heading_widths.data());
  for (size_t row = 0; row + columns <= cells_.size(); row += columns)
    print_row(cells_.data() + row, cell_widths.data() + row);
  std::fwrite(text.data(), 1, text.size(), out);
}

}  // namespace lm
