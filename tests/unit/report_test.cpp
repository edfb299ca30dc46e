// The printable report: it holds back what the export holds back, escapes every scenario and
// participant text, and stays one self-contained page.
#include "report.hpp"

#include <gtest/gtest.h>

#include <string>

#include "report_charts.hpp"
#include "roundtable/session.hpp"

using namespace roundtable;
using nlohmann::json;
using roundtable::facilitator::report_html;

namespace {

const std::string hostile = "<script>alert(\"x\")</script>";

// A scenario with a choice question, a revote of it, an assigned model grid, a scale and a text question;
// its title, summary, case and labels may carry hostile text.
scenario report_scenario(const std::string& text = "Plain") {
  json j = {{"format", 1},
            {"id", "demo"},
            {"title", text + " title"},
            {"summary", text + " summary"},
            {"case", {text + " case"}},
            {"models",
             {{{"id", "guidelines"}, {"name", "Guidelines"}, {"prompt", "Codes?"}},
              {{"id", "virtue"}, {"name", "Virtue"}, {"prompt", "Character?"}}}},
            {"outcomes", {{{"id", "decline"}, {"label", text + " decline"}}, {{"id", "refer"}, {"label", "Refer"}}}},
            {"stages",
             {{{"id", "gut"},
               {"kind", "question"},
               {"title", "First"},
               {"question", {{"type", "choice"}, {"prompt", text + " prompt"}, {"options", "outcomes"}}}},
              {{"id", "models"},
               {"kind", "question"},
               {"title", "Lenses"},
               {"question", {{"type", "model_outcome"}, {"prompt", "Each model?"}, {"assign", true}}}},
              {{"id", "sure"},
               {"kind", "question"},
               {"title", "Sure"},
               {"question", {{"type", "scale"}, {"prompt", "How sure?"}, {"min", 1}, {"max", 5}}}},
              {{"id", "voices"},
               {"kind", "question"},
               {"title", "Voices"},
               {"question", {{"type", "text"}, {"prompt", "What matters?"}}}},
              {{"id", "gut-again"}, {"kind", "revote"}, {"title", "Again"}, {"of", "gut"}}}}};
  auto parsed = parse_scenario(j.dump(), "demo.json");
  EXPECT_TRUE(parsed.errors.empty()) << (parsed.errors.empty() ? "" : parsed.errors[0].to_string());
  return *parsed.value;
}

// A session driven as the server drives it: decide, then apply.
struct workshop {
  session s;
  explicit workshop(int min_group, const std::string& text = "Plain")
      : s(make_started("123456", report_scenario(text), min_group, protocol::start{"demo", std::nullopt, false},
                       1000)) {}
  void run(const result<std::vector<events::event>>& decided) {
    ASSERT_TRUE(decided.ok()) << decided.err().message;
    for (const auto& e : *decided) ASSERT_TRUE(s.apply(e).ok());
  }
  void join(int n) {
    for (int i = 0; i < n; ++i)
      for (const auto& e : s.decide_join(key(i))) ASSERT_TRUE(s.apply(e).ok());
  }
  static std::string key(int i) { return "voter-" + std::to_string(i); }
  void cast(int i, const std::string& q, json ballot) { run(s.decide_vote(key(i), {q, std::move(ballot)}, "")); }
  void open(const std::string& q) { run(s.decide_open({"123456", q, std::nullopt}, 2000)); }
  void close(const std::string& q) { run(s.decide_close(q)); }
  // The part of the report about one question (from its prompt to the next question).
  std::string section(const std::string& prompt) const {
    const auto page = report_html(s);
    const auto at = page.find("<h2>" + prompt + "</h2>");
    EXPECT_NE(at, std::string::npos) << prompt;
    if (at == std::string::npos) return "";
    return page.substr(at, page.find("<section", at) - at);
  }
};

}  // namespace

TEST(ReportPage, RoundsBelowMinGroupSayFewerThanKInsteadOfNumbers) {
  workshop w(3);
  w.join(3);
  w.open("gut");
  w.cast(0, "gut", {{"choice", "refer"}});
  w.cast(1, "gut", {{"choice", "decline"}});
  w.close("gut");
  const auto held = w.section("Plain prompt");
  EXPECT_NE(held.find("fewer than 3 answers"), std::string::npos) << held;
  EXPECT_EQ(held.find("<svg"), std::string::npos) << held;
  EXPECT_EQ(held.find("2 answers"), std::string::npos) << held;

  w.open("gut");  // the re-vote: three answer, one changes
  for (int i = 0; i < 3; ++i) w.cast(i, "gut", {{"choice", i == 1 ? "refer" : "decline"}});
  w.close("gut");
  const auto shown = w.section("Plain prompt");
  EXPECT_NE(shown.find("3 answers"), std::string::npos) << shown;
  EXPECT_NE(shown.find("aria-label=\"Answers\""), std::string::npos) << shown;
  // Round 1 was held back, so there is no shift to show: nothing compares the held-back round.
  EXPECT_EQ(shown.find("changed their answer"), std::string::npos) << shown;
}

TEST(ReportPage, ShowsTheShiftOfAReVoteAboveTheThreshold) {
  workshop w(3);
  w.join(3);
  w.open("gut");
  for (int i = 0; i < 3; ++i) w.cast(i, "gut", {{"choice", "decline"}});
  w.close("gut");
  w.open("gut");
  for (int i = 0; i < 3; ++i) w.cast(i, "gut", {{"choice", i == 0 ? "refer" : "decline"}});
  w.close("gut");
  const auto page = w.section("Plain prompt");
  EXPECT_NE(page.find("1 of 3 who answered both rounds changed their answer"), std::string::npos) << page;
  EXPECT_NE(page.find("<td>Plain decline</td><td>Refer</td><td>1</td>"), std::string::npos) << page;
}

TEST(ReportPage, HeldBackModelRowsSayFewerThanKAndShownOnesTheirAgreement) {
  workshop w(2);
  w.join(4);  // two per model
  w.open("models");
  const auto model_of = [&](int i) { return *w.s.assigned_model(workshop::key(i), "models"); };
  // Both of one model answer, one of the other: that model's row is held back.
  bool one_virtue = false;
  for (int i = 0; i < 4; ++i) {
    const auto m = w.s.scenario_copy().models[model_of(i)].id;
    if (m == "virtue" && one_virtue) continue;
    one_virtue = one_virtue || m == "virtue";
    w.cast(i, "models", {{"outcomes", {{m, "refer"}}}});
  }
  w.close("models");
  const auto page = w.section("Each model?");
  EXPECT_NE(page.find("<tr><th>Guidelines</th><td>0</td><td>2</td><td>100%</td></tr>"), std::string::npos) << page;
  EXPECT_NE(page.find("<tr><th>Virtue</th><td colspan=\"3\" class=\"hidden\">fewer than 2 answers</td></tr>"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("aria-label=\"Agreement per model\""), std::string::npos) << page;
}

TEST(ReportPage, AScaleReVoteShowsHowTheGroupMovedOnceEnoughAnsweredBoth) {
  workshop w(3);
  w.join(4);
  for (const auto& values : {std::vector<int>{2, 2, 3, 4}, std::vector<int>{4, 2, 3, 4}}) {
    w.open("sure");
    for (int i = 0; i < 4; ++i) w.cast(i, "sure", {{"value", values[static_cast<std::size_t>(i)]}});
    w.close("sure");
  }
  const auto page = w.section("How sure?");
  EXPECT_NE(page.find("1 of 4 who answered both rounds changed their answer."), std::string::npos) << page;
  EXPECT_NE(page.find("1 moved up, 0 down; the mean moved by 0.50."), std::string::npos) << page;
  EXPECT_NE(page.find("<tr><td>2</td><td>4</td><td>1</td></tr>"), std::string::npos) << page;
}

TEST(ReportPage, AQuestionWithNoAnswersOrNeverOpenedSaysSo) {
  workshop w(1);
  w.join(2);
  w.open("sure");
  w.close("sure");
  const auto empty = w.section("How sure?");
  EXPECT_NE(empty.find("Round 1"), std::string::npos) << empty;
  EXPECT_NE(empty.find("fewer than 1 answers"), std::string::npos) << empty;
  EXPECT_NE(w.section("Each model?").find("never opened"), std::string::npos);
}

TEST(ReportPage, EscapesEveryScenarioAndPerspectiveText) {
  workshop w(1, hostile);
  w.join(1);
  w.open("gut");
  w.cast(0, "gut", {{"choice", "decline"}});
  w.close("gut");
  w.open("voices");
  w.run(w.s.decide_perspective(workshop::key(0), {"voices", "\"><script>alert(1)</script>"}, "", "p-a"));
  w.run(w.s.decide_moderate({"123456", "p-a", true}));
  const auto page = report_html(w.s);
  EXPECT_EQ(page.find("<script"), std::string::npos) << page;
  EXPECT_NE(page.find("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; title"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; case"), std::string::npos);
  EXPECT_NE(page.find("&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
}

TEST(ReportPage, ShowsOnlyTheModeratedPerspectives) {
  workshop w(2);
  w.join(2);
  w.open("voices");
  w.run(w.s.decide_perspective(workshop::key(0), {"voices", "Shown one"}, "", "p-a"));
  w.run(w.s.decide_perspective(workshop::key(1), {"voices", "Hidden one"}, "", "p-b"));
  w.run(w.s.decide_moderate({"123456", "p-a", true}));
  const auto page = w.section("What matters?");
  EXPECT_NE(page.find("Shown one"), std::string::npos) << page;
  EXPECT_EQ(page.find("Hidden one"), std::string::npos) << page;
}

TEST(ReportPage, IsOneSelfContainedPage) {
  workshop w(1);
  w.join(1);
  w.open("sure");
  w.cast(0, "sure", {{"value", 4}});
  w.close("sure");
  const auto page = report_html(w.s);
  EXPECT_TRUE(page.starts_with("<!doctype html>"));
  for (const char* outside : {"<script", "src=", "href=", "url(", "@import", "<link"})
    EXPECT_EQ(page.find(outside), std::string::npos) << outside;
  EXPECT_NE(page.find("break-inside: avoid"), std::string::npos);
  EXPECT_NE(page.find("Mean 4.00"), std::string::npos);
}

TEST(ReportCharts, EscapesLabelsAndCutsLongOnesOnACharacterBoundary) {
  namespace r = roundtable::facilitator::report;
  EXPECT_EQ(r::escape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  std::string umlauts;
  for (int i = 0; i < 30; ++i) umlauts += "\xC3\xBC";
  const auto svg = r::bar_chart("t", {{umlauts, 1}, {"<b>", 2}});
  EXPECT_NE(svg.find("&lt;b&gt;"), std::string::npos);
  // 33 bytes would split a two-byte character; the cut falls before it.
  EXPECT_NE(svg.find(">" + umlauts.substr(0, 32) + "...<"), std::string::npos) << svg;
}

TEST(ReportPage, AShiftComparingFewerThanKSaysSoThoughBothRoundsShow) {
  workshop w(3);
  w.join(5);
  w.open("gut");
  for (int i : {0, 1, 2}) w.cast(i, "gut", {{"choice", "decline"}});
  w.close("gut");
  w.open("gut");  // only voter 0 answers both rounds
  for (int i : {0, 3, 4}) w.cast(i, "gut", {{"choice", "refer"}});
  w.close("gut");
  const auto page = w.section("Plain prompt");
  EXPECT_NE(page.find("Round 2"), std::string::npos) << page;
  EXPECT_NE(page.find("fewer than 3 answers in both rounds"), std::string::npos) << page;
  EXPECT_EQ(page.find("changed their answer"), std::string::npos) << page;
}

TEST(ReportPage, AScaleReVoteShowsItsMeanBeforeAndAfter) {
  workshop w(2);
  w.join(2);
  for (int v : {2, 4}) {
    w.open("sure");
    w.cast(0, "sure", {{"value", v}});
    w.cast(1, "sure", {{"value", v}});
    w.close("sure");
  }
  const auto page = w.section("How sure?");
  EXPECT_NE(page.find("<tr><td>mean</td><td>2.00</td><td>4.00</td></tr>"), std::string::npos) << page;
}
