// The CSV export read back as a spreadsheet reads it: no cell may become a formula.
#include "export.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "csv.hpp"

using nlohmann::json;
using roundtable::facilitator::export_csv;
using roundtable::test::read_csv;
using roundtable::test::runs_as_formula;

namespace {

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
    for (const auto& cell : rows[r]) EXPECT_FALSE(runs_as_formula(cell)) << cell;
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
