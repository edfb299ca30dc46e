// The terminal participant's answer parsing, random ballots, rendering and the swarm's
// statistics: pure functions, plain values.
#include "client/answer.hpp"

#include <gtest/gtest.h>

#include "client/connection.hpp"
#include "client/render.hpp"
#include "roundtable/ballot.hpp"
#include "roundtable/text.hpp"
#include "swarm_stats.hpp"

namespace roundtable::client {
namespace {

using json = nlohmann::json;

json opts3() {
  return json::array({{{"id", "autonomy"}, {"label", "Autonomy"}},
                      {{"id", "justice"}, {"label", "Justice"}},
                      {{"id", "care"}, {"label", "Care"}}});
}

shown_question make(json view) {
  auto q = question_from_view(view);
  EXPECT_TRUE(q.has_value()) << view.dump();
  return *q;
}

shown_question choice(int max_choices = 1) {
  return make(
      {{"id", "gut"}, {"type", "choice"}, {"prompt", "What?"}, {"options", opts3()}, {"max_choices", max_choices}});
}
shown_question scale() {
  return make({{"id", "s"}, {"type", "scale"}, {"prompt", "How?"}, {"min", 1}, {"max", 5}});
}
shown_question points() {
  return make({{"id", "p"}, {"type", "points"}, {"prompt", "Weigh"}, {"options", opts3()}, {"budget", 10}});
}
shown_question rank() {
  return make({{"id", "r"}, {"type", "rank"}, {"prompt", "Order"}, {"options", opts3()}});
}
json models() {
  return json::array({{{"id", "guidelines"}, {"name", "Guidelines"}, {"prompt", "p"}},
                      {{"id", "virtue"}, {"name", "Virtue"}, {"prompt", "p"}}});
}
json outcomes() {
  return json::array({{{"id", "refer"}, {"label", "Refer"}}, {{"id", "decline"}, {"label", "Decline"}}});
}
shown_question model_outcome(bool assigned = false) {
  json v{{"id", "m"},          {"type", "model_outcome"}, {"prompt", "Each model"},
         {"models", models()}, {"outcomes", outcomes()},  {"assign", assigned}};
  if (assigned) v["assigned_model"] = "virtue";
  return make(v);
}
shown_question text_q() {
  return make({{"id", "t"}, {"type", "text"}, {"prompt", "Say"}, {"max_length", 12}});
}

json ballot_of(const shown_question& q, std::string_view line) {
  auto a = parse_answer(q, line);
  EXPECT_TRUE(a.ok()) << line << ": " << (a.ok() ? "" : a.err().message);
  return a.ok() ? a->ballot : json();
}

std::string error_of(const shown_question& q, std::string_view line) {
  auto a = parse_answer(q, line);
  EXPECT_FALSE(a.ok()) << line << " was accepted: " << (a.ok() ? a->ballot.dump() : "");
  if (a.ok()) return "";
  EXPECT_EQ(a.err().code, error_code::invalid_ballot);
  return a.err().message;
}

TEST(QuestionFromView, RefusesWhatIsNotAQuestion) {
  EXPECT_FALSE(question_from_view(json::object()));
  EXPECT_FALSE(question_from_view(json{{"id", "x"}, {"type", "dance"}}));
  EXPECT_FALSE(question_from_view(json{{"id", "x"}, {"type", "choice"}}));  // no options
  EXPECT_FALSE(question_from_view(json{{"id", "x"}, {"type", "model_outcome"}, {"models", models()}}));
}

TEST(ParseAnswer, ChoiceByNumberOrId) {
  EXPECT_EQ(ballot_of(choice(), "2"), (json{{"choice", "justice"}}));
  EXPECT_EQ(ballot_of(choice(), " care "), (json{{"choice", "care"}}));
}

TEST(ParseAnswer, ChoiceErrors) {
  EXPECT_NE(error_of(choice(), "4").find("choose 1 to 3"), std::string::npos);
  EXPECT_NE(error_of(choice(), "kindness").find("unknown option \"kindness\""), std::string::npos);
  EXPECT_NE(error_of(choice(), "1 2").find("at most 1 option"), std::string::npos);
  EXPECT_NE(error_of(choice(), "").find("type the number"), std::string::npos);
  EXPECT_NE(error_of(choice(), "0").find("choose 1 to 3"), std::string::npos);
}

TEST(ParseAnswer, MultipleChoice) {
  EXPECT_EQ(ballot_of(choice(2), "3 1"), (json{{"choices", {"autonomy", "care"}}}));
  EXPECT_EQ(ballot_of(choice(2), "2"), (json{{"choices", {"justice"}}}));
  EXPECT_NE(error_of(choice(2), "1 2 3").find("at most 2 options"), std::string::npos);
  EXPECT_NE(error_of(choice(2), "1 1").find("named twice"), std::string::npos);
}

TEST(ParseAnswer, Scale) {
  EXPECT_EQ(ballot_of(scale(), "4"), (json{{"value", 4}}));
  EXPECT_NE(error_of(scale(), "6").find("outside the scale"), std::string::npos);
  EXPECT_NE(error_of(scale(), "0").find("outside the scale"), std::string::npos);
  EXPECT_NE(error_of(scale(), "four").find("not a whole number"), std::string::npos);
  EXPECT_NE(error_of(scale(), "2.5").find("not a whole number"), std::string::npos);
  EXPECT_NE(error_of(scale(), "1 2").find("one whole number"), std::string::npos);
}

TEST(ParseAnswer, PointsNamedOrPositional) {
  const json want{{"points", {{"autonomy", 4}, {"justice", 6}, {"care", 0}}}};
  EXPECT_EQ(ballot_of(points(), "points autonomy=4 justice=6"), want);
  EXPECT_EQ(ballot_of(points(), "1=4 2=6"), want);
  EXPECT_EQ(ballot_of(points(), "4 6 0"), want);
}

TEST(ParseAnswer, PointsErrors) {
  EXPECT_NE(error_of(points(), "points autonomy=4 justice=5").find("add up to 9; they must add up to 10"),
            std::string::npos);
  EXPECT_NE(error_of(points(), "points honesty=10").find("unknown option \"honesty\""), std::string::npos);
  EXPECT_NE(error_of(points(), "points autonomy=-2 justice=12").find("negative"), std::string::npos);
  EXPECT_NE(error_of(points(), "points autonomy=x").find("not a whole number"), std::string::npos);
  EXPECT_NE(error_of(points(), "4 6").find("one number per option"), std::string::npos);
  EXPECT_NE(error_of(points(), "autonomy=4 autonomy=6").find("named twice"), std::string::npos);
  EXPECT_NE(error_of(points(), "points").find("share 10 points"), std::string::npos);
}

TEST(ParseAnswer, Rank) {
  EXPECT_EQ(ballot_of(rank(), "order 3 1 2"), (json{{"order", {"care", "autonomy", "justice"}}}));
  EXPECT_EQ(ballot_of(rank(), "justice > care > autonomy"), (json{{"order", {"justice", "care", "autonomy"}}}));
}

TEST(ParseAnswer, RankErrors) {
  EXPECT_NE(error_of(rank(), "order 3 1").find("missing: 2 justice"), std::string::npos);
  EXPECT_NE(error_of(rank(), "order 1 1 2").find("named twice"), std::string::npos);
  EXPECT_NE(error_of(rank(), "order 1 2 4").find("choose 1 to 3"), std::string::npos);
  EXPECT_NE(error_of(rank(), "").find("missing"), std::string::npos);
}

TEST(ParseAnswer, ModelOutcome) {
  const json want{{"outcomes", {{"guidelines", "decline"}, {"virtue", "refer"}}}};
  EXPECT_EQ(ballot_of(model_outcome(), "guidelines=2 virtue=1"), want);
  EXPECT_EQ(ballot_of(model_outcome(), "1=decline 2=refer"), want);
  EXPECT_EQ(ballot_of(model_outcome(), "2 1"), want);
}

TEST(ParseAnswer, ModelOutcomeErrors) {
  EXPECT_NE(error_of(model_outcome(), "guidelines=2").find("missing: virtue"), std::string::npos);
  EXPECT_NE(error_of(model_outcome(), "kant=1 virtue=1").find("unknown model \"kant\""), std::string::npos);
  EXPECT_NE(error_of(model_outcome(), "guidelines=3 virtue=1").find("no outcome 3"), std::string::npos);
  EXPECT_NE(error_of(model_outcome(), "1").find("one outcome per model"), std::string::npos);
  EXPECT_NE(error_of(model_outcome(), "guidelines=1 guidelines=2").find("named twice"), std::string::npos);
}

TEST(ParseAnswer, AssignedModelTakesOneOutcome) {
  const auto q = model_outcome(true);
  ASSERT_TRUE(q.assigned_model);
  EXPECT_EQ(ballot_of(q, "2"), (json{{"outcomes", {{"virtue", "decline"}}}}));
  EXPECT_EQ(ballot_of(q, "virtue=refer"), (json{{"outcomes", {{"virtue", "refer"}}}}));
  EXPECT_NE(error_of(q, "guidelines=1").find("virtue only"), std::string::npos);
  EXPECT_NE(error_of(q, "1 2").find("one outcome"), std::string::npos);
}

TEST(ParseAnswer, TextIsAPerspective) {
  auto a = parse_answer(text_q(), "  fair enough ");
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->perspective);
  EXPECT_EQ(a->text, "fair enough");
  EXPECT_NE(error_of(text_q(), "   ").find("empty"), std::string::npos);
  EXPECT_NE(error_of(text_q(), "far too long a text").find("at most 12"), std::string::npos);
  EXPECT_NE(error_of(text_q(), "bad \xff").find("UTF-8"), std::string::npos);
  // Twelve code points of two bytes each fit; thirteen do not.
  EXPECT_TRUE(parse_answer(text_q(), "éééééééééééé").ok());
  EXPECT_FALSE(parse_answer(text_q(), "ééééééééééééé").ok());
}

TEST(RandomAnswer, AlwaysValidForTheCore) {
  std::mt19937_64 rng(7);
  for (const auto& q : {choice(), choice(2), scale(), points(), rank(), model_outcome(), model_outcome(true)}) {
    for (int i = 0; i < 200; ++i) {
      const auto a = random_answer(q, rng);
      ASSERT_FALSE(a.perspective);
      EXPECT_TRUE(parse_ballot(q.scenario, q.question, a.ballot, q.assigned_model).ok()) << a.ballot.dump();
    }
  }
  const auto t = random_answer(text_q(), rng);
  EXPECT_TRUE(t.perspective);
  EXPECT_FALSE(t.text.empty());
}

TEST(Render, WrapKeepsWidthAndWords) {
  const auto lines = wrap("one two three four five six seven eight nine ten", 20, "  ");
  ASSERT_GE(lines.size(), 3u);
  for (const auto& l : lines) {
    EXPECT_LE(text::code_points(l), 20u) << l;
    EXPECT_TRUE(l.starts_with("  "));
  }
  EXPECT_EQ(wrap("", 20).size(), 1u);
}

TEST(Render, ResultsAsBars) {
  const auto q = choice();
  json r{{"type", "results"},
         {"question", "gut"},
         {"round", 1},
         {"ballots", 4},
         {"suppressed", false},
         {"tally", {{"counts", {{"autonomy", 3}, {"justice", 1}, {"care", 0}}}, {"consensus", 0.5}}}};
  const auto lines = render_results(&q, r, 60);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0], "results gut round 1: 4 ballots");
  EXPECT_NE(lines[1].find("Autonomy"), std::string::npos);
  EXPECT_NE(lines[1].find(" 3 ###"), std::string::npos);
  EXPECT_EQ(std::count(lines[1].begin(), lines[1].end(), '#'), 3 * std::count(lines[2].begin(), lines[2].end(), '#'));
  EXPECT_EQ(lines[3].find('#'), std::string::npos);  // care: 0, no bar
  EXPECT_NE(lines[4].find("consensus 0.50"), std::string::npos);
  r["suppressed"] = true;
  r.erase("tally");
  EXPECT_NE(render_results(&q, r, 60)[1].find("held back"), std::string::npos);
}

TEST(ServerUrl, WebSocketAndJoinLink) {
  std::string why;
  auto a = parse_server_url("ws://127.0.0.1:8080/ws", why);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 8080);
  EXPECT_EQ(a->path, "/ws");
  EXPECT_FALSE(a->code);
  auto b = parse_server_url("http://example.org:9000/j/482913", why);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->port, 9000);
  EXPECT_EQ(b->path, "/ws");
  EXPECT_EQ(b->code, "482913");
  EXPECT_FALSE(b->tls);
  EXPECT_FALSE(parse_server_url("ftp://x/j/1", why));
  EXPECT_NE(why.find("wss://"), std::string::npos);
  EXPECT_FALSE(parse_server_url("ws://host:99999/ws", why));
  EXPECT_FALSE(parse_server_url("ws://:80/ws", why));
}

TEST(ServerUrl, TlsSchemesDefaultToPort443) {
  std::string why;
  auto a = parse_server_url("wss://rt.example.org/ws", why);
  ASSERT_TRUE(a) << why;
  EXPECT_TRUE(a->tls);
  EXPECT_EQ(a->host, "rt.example.org");
  EXPECT_EQ(a->port, 443);
  EXPECT_EQ(a->path, "/ws");
  auto b = parse_server_url("https://rt.example.org/j/482913/", why);
  ASSERT_TRUE(b) << why;
  EXPECT_TRUE(b->tls);
  EXPECT_EQ(b->port, 443);
  EXPECT_EQ(b->path, "/ws");
  EXPECT_EQ(b->code, "482913");
  auto c = parse_server_url("wss://127.0.0.1:8443/ws", why);
  ASSERT_TRUE(c) << why;
  EXPECT_EQ(c->port, 8443);
  auto d = parse_server_url("ws://rt.example.org/ws", why);
  ASSERT_TRUE(d) << why;
  EXPECT_FALSE(d->tls);
  EXPECT_EQ(d->port, 80);
}

TEST(Token, RandomTokensAreValidAndDistinct) {
  const auto a = random_token(), b = random_token();
  EXPECT_TRUE(text::is_token(a));
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace roundtable::client

namespace roundtable::participant {
namespace {

TEST(SwarmStats, NearestRankPercentiles) {
  std::vector<double> v;
  for (int i = 100; i >= 1; --i) v.push_back(i);
  const auto l = summarize(v);
  EXPECT_EQ(l.count, 100);
  EXPECT_EQ(l.p50, 50);
  EXPECT_EQ(l.p99, 99);
  EXPECT_EQ(l.max, 100);
  EXPECT_EQ(summarize({}).count, 0);
  EXPECT_EQ(summarize({7}).p99, 7);
}

TEST(SwarmStats, JsonLineHasTheAgreedFields) {
  swarm_report r;
  r.participants = 3;
  r.connected = 3;
  r.acked = 2;
  const auto j = to_json(r);
  for (const char* k : {"participants", "connected", "acked", "errors", "join_p99_ms", "ack_p50_ms", "ack_p99_ms",
                        "results_p50_ms", "results_p99_ms", "duration_s"})
    EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_EQ(j["acked"], 2);
}

}  // namespace
}  // namespace roundtable::participant
