// CSV read back as a spreadsheet's import splits it (RFC 4180), for the export tests.
#pragma once

#include <string>
#include <vector>

namespace roundtable::test {

/// Rows of cells: quoted cells may hold commas, newlines and doubled quotes.
inline std::vector<std::vector<std::string>> read_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1, std::vector<std::string>(1));
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    auto& cell = rows.back().back();
    if (quoted && c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
      cell += '"';
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (!quoted && c == ',') {
      rows.back().emplace_back();
    } else if (!quoted && c == '\n') {
      rows.emplace_back(1);
    } else {
      cell += c;
    }
  }
  if (rows.back().size() == 1 && rows.back()[0].empty()) rows.pop_back();
  return rows;
}

/// True when a spreadsheet would run the cell as a formula: it starts with = + - @ tab or CR and is
/// not a plain number.
inline bool runs_as_formula(const std::string& cell) {
  if (cell.empty() || std::string("=+-@\t\r").find(cell.front()) == std::string::npos) return false;
  bool digit = false;
  for (std::size_t i = 1; i < cell.size(); ++i) {
    if (cell[i] == '.') continue;
    if (cell[i] < '0' || cell[i] > '9') return true;
    digit = true;
  }
  return cell.front() != '-' || !digit;
}

}  // namespace roundtable::test
