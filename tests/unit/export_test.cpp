// The CSV export read back as a spreadsheet reads it: no cell may become a formula.
#include "export.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using nlohmann::json;
using roundtable::facilitator::export_csv;

namespace {

// RFC 4180 rows and cells, as a spreadsheet's CSV import splits them.
std::vector<std::vector<std::string>> read_csv(const std::string& text) {
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

// An export with one free-text-like choice ballot and one perspective per hostile text.
json exported_with(const std::vector<std::string>& texts) {
  json votes = json::array(), perspectives = json::array();
  for (std::size_t i = 0; i < texts.size(); ++i) {
    votes.push_back({{"voter", "p" + std::to_string(i + 1)}, {"ballot", {{"choice", texts[i]}}}});
    perspectives.push_back({{"round", 1}, {"text", texts[i]}, {"shown", true}, {"endorsements", 0}});
  }
  json question = {{"id", "gut"},
                   {"type", "single"},
                   {"rounds", json::array({{{"round", 1}, {"votes", votes}}})},
                   {"perspectives", perspectives}};
  return {{"code", "123456"}, {"questions", json::array({question})}};
}

}  // namespace

TEST(ExportCsv, CellsThatASpreadsheetWouldRunAsFormulasAreNeutralised) {
  const std::vector<std::string> hostile = {
      "=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\r=1", "=1,2\n3"};
  const auto rows = read_csv(export_csv(exported_with(hostile)));
  ASSERT_EQ(rows.size(), 1 + 2 * hostile.size());
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const auto& text = rows[r][5];
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(text.front(), '\'') << text;
    // The text is all there behind the quote mark.
    EXPECT_EQ(text.substr(1), hostile[(r - 1) % hostile.size()]);
    for (const auto& cell : rows[r]) {
      if (!cell.empty()) {
        EXPECT_EQ(std::string("=+@\t\r").find(cell.front()), std::string::npos) << cell;
      }
    }
  }
}

TEST(ExportCsv, NumbersAndPlainTextStayAsTheyAre) {
  const std::vector<std::string> plain = {"-3", "2.5", "refer", "a;b", "say \"no\""};
  const auto rows = read_csv(export_csv(exported_with(plain)));
  ASSERT_EQ(rows.size(), 1 + 2 * plain.size());
  for (std::size_t i = 0; i < plain.size(); ++i) EXPECT_EQ(rows[1 + i][5], plain[i]);
  // A minus that is not a number is a formula to a spreadsheet.
  EXPECT_EQ(read_csv(export_csv(exported_with({"-"})))[1][5], "'-");
  EXPECT_EQ(read_csv(export_csv(exported_with({"-1-"})))[1][5], "'-1-");
}
