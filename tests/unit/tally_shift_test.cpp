// The shifts of multiple choice, scale, points and rank (issue 11 item 2): the math by hand, and the min_group rule.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ballots.hpp"
#include "roundtable/tally.hpp"

namespace roundtable {
namespace {

using json = nlohmann::json;
using namespace test_ballots;

question with_options(question_type type, std::vector<option> options) {
  question q;
  q.type = type;
  q.options = std::move(options);
  return q;
}

question feelings() {
  auto q = with_options(question_type::choice, {{"confusion", "C"}, {"anxiety", "A"}, {"empowerment", "E"}});
  q.max_choices = 2;
  return q;
}

question sure() {
  question q;
  q.type = question_type::scale;
  q.min = 1;
  q.max = 5;
  return q;
}

question principles(question_type type) {
  auto q = with_options(type, {{"autonomy", "A"}, {"beneficence", "B"}, {"justice", "J"}});
  q.budget = 10;
  return q;
}

class ShiftTest : public ::testing::Test {
protected:
  scenario s;
  // The tally's wire form, as a results push carries it.
  json wire(const question& q, const round_ballots& current, const round_ballots* previous, int min_group = 3) {
    return to_json(s, q, compute_tally(s, q, current, previous, min_group));
  }
};

TEST_F(ShiftTest, MultipleChoiceCountsWhatTheComparedAddedAndDropped) {
  // 1 keeps {confusion}; 2 goes {confusion, anxiety} -> {anxiety, empowerment}; 3 {anxiety} -> {confusion};
  // 4 answered only round 1 and 5 only round 2: neither is compared.
  const round_ballots before{{1, chosen({0})}, {2, chosen({0, 1})}, {3, chosen({1})}, {4, chosen({2})}};
  const round_ballots after{{1, chosen({0})}, {2, chosen({1, 2})}, {3, chosen({0})}, {5, chosen({2})}};
  EXPECT_EQ(wire(feelings(), after, &before)["shift"], json::parse(R"({"compared":3,"changed":2,
      "added":{"confusion":1,"anxiety":0,"empowerment":1},"dropped":{"confusion":1,"anxiety":1,"empowerment":0}})"));
}

TEST_F(ShiftTest, ScaleCountsUpDownTheMeanMoveAndValueToValue) {
  const round_ballots before{{1, value(2)}, {2, value(4)}, {3, value(3)}, {4, value(5)}};
  const round_ballots after{{1, value(4)}, {2, value(3)}, {3, value(3)}, {4, value(5)}};
  EXPECT_EQ(wire(sure(), after, &before)["shift"], json::parse(R"({"compared":4,"changed":2,"up":1,"down":1,
      "mean_delta":0.25,"transitions":{"2":{"4":1},"4":{"3":1},"3":{"3":1},"5":{"5":1}}})"));
}

TEST_F(ShiftTest, PointsSumHowManyPointsEachOptionGainedAmongTheCompared) {
  const round_ballots before{{1, points({10, 0, 0})}, {2, points({5, 5, 0})}, {3, points({2, 3, 5})}};
  const round_ballots after{{1, points({6, 0, 4})}, {2, points({5, 5, 0})}, {3, points({0, 3, 7})}};
  EXPECT_EQ(wire(principles(question_type::points), after, &before)["shift"],
            json::parse(R"({"compared":3,"changed":2,"delta":{"autonomy":-6,"beneficence":0,"justice":6}})"));
}

TEST_F(ShiftTest, RankSumsTheBordaScoreEachOptionGainedAmongTheCompared) {
  // Three options score 2, 1, 0 by position. 1 swaps the first two; 2 and 3 keep their order.
  const round_ballots before{{1, ranked({0, 1, 2})}, {2, ranked({2, 1, 0})}, {3, ranked({0, 2, 1})}};
  const round_ballots after{{1, ranked({1, 0, 2})}, {2, ranked({2, 1, 0})}, {3, ranked({0, 2, 1})}};
  EXPECT_EQ(wire(principles(question_type::rank), after, &before)["shift"],
            json::parse(R"({"compared":3,"changed":1,"delta":{"autonomy":-1,"beneficence":1,"justice":0}})"));
}

TEST_F(ShiftTest, EachTypeHoldsItsShiftBackWhileFewerThanMinGroupAreCompared) {
  // Two answered both rounds, a third only the second: compared 2, below 3, so no shift at all.
  const round_ballots v1{{1, value(1)}, {2, value(2)}};
  const round_ballots v2{{1, value(5)}, {2, value(2)}, {3, value(4)}};
  EXPECT_FALSE(wire(sure(), v2, &v1).contains("shift"));
  EXPECT_TRUE(wire(sure(), v2, &v1, 2).contains("shift"));
  const round_ballots c1{{1, chosen({0})}, {2, chosen({1})}};
  const round_ballots c2{{1, chosen({0, 2})}, {2, chosen({1})}, {3, chosen({2})}};
  EXPECT_FALSE(wire(feelings(), c2, &c1).contains("shift"));
  EXPECT_TRUE(wire(feelings(), c2, &c1, 2).contains("shift"));
  const round_ballots p1{{1, points({10, 0, 0})}, {2, points({0, 10, 0})}};
  const round_ballots p2{{1, points({0, 0, 10})}, {2, points({0, 10, 0})}, {3, points({5, 5, 0})}};
  EXPECT_FALSE(wire(principles(question_type::points), p2, &p1).contains("shift"));
  EXPECT_TRUE(wire(principles(question_type::points), p2, &p1, 2).contains("shift"));
  const round_ballots r1{{1, ranked({0, 1, 2})}, {2, ranked({1, 0, 2})}};
  const round_ballots r2{{1, ranked({2, 1, 0})}, {2, ranked({1, 0, 2})}, {3, ranked({0, 1, 2})}};
  EXPECT_FALSE(wire(principles(question_type::rank), r2, &r1).contains("shift"));
  EXPECT_TRUE(wire(principles(question_type::rank), r2, &r1, 2).contains("shift"));
}

TEST_F(ShiftTest, TheFirstRoundHasNoShift) {
  const round_ballots r{{1, value(1)}, {2, value(2)}, {3, value(3)}};
  EXPECT_FALSE(wire(sure(), r, nullptr, 1).contains("shift"));
  const round_ballots p{{1, points({10, 0, 0})}, {2, points({0, 10, 0})}, {3, points({5, 5, 0})}};
  EXPECT_FALSE(wire(principles(question_type::points), p, nullptr, 1).contains("shift"));
}

TEST_F(ShiftTest, BallotsThatDoNotFitTheQuestionAreNotCompared) {
  // Voter 3's round-1 ballot is out of the scale's range (a stored log from another version, say).
  const round_ballots before{{1, value(1)}, {2, value(2)}, {3, value(9)}};
  const round_ballots after{{1, value(2)}, {2, value(2)}, {3, value(3)}};
  EXPECT_FALSE(wire(sure(), after, &before).contains("shift"));
  EXPECT_EQ(wire(sure(), after, &before, 2)["shift"]["compared"], 2);
}

}  // namespace
}  // namespace roundtable
