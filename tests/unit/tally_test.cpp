// Tallies (protocol.md, "Ballots and tallies, by question type" and the anonymity rules).
#include "roundtable/tally.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "ballots.hpp"

namespace roundtable {
namespace {

using json = nlohmann::json;
using namespace test_ballots;

scenario make_scenario() {
  scenario s;
  s.id = "harmful-product";
  s.models = {{"guidelines", "G", "p"}, {"stakeholder", "S", "p"}, {"utilitarian", "U", "p"}, {"virtue", "V", "p"}};
  s.outcomes = {{"decline", "Decline"}, {"conditions", "Conditions"}, {"refer", "Refer"}};
  return s;
}

question choice_q(int max_choices = 1) {
  question q;
  q.type = question_type::choice;
  q.options = {{"decline", "Decline"}, {"conditions", "Conditions"}, {"refer", "Refer"}};
  q.max_choices = max_choices;
  return q;
}

question choice4_q() {
  question q;
  q.type = question_type::choice;
  q.options = {{"a", "A"}, {"b", "B"}, {"c", "C"}, {"d", "D"}};
  return q;
}

question scale_q(int min = 1, int max = 5) {
  question q;
  q.type = question_type::scale;
  q.min = min;
  q.max = max;
  return q;
}

std::vector<option> principles() {
  return {{"autonomy", "A"}, {"beneficence", "B"}, {"non_maleficence", "N"}, {"justice", "J"}};
}

question points_q(int budget = 10) {
  question q;
  q.type = question_type::points;
  q.options = principles();
  q.budget = budget;
  return q;
}

question rank_q() {
  question q;
  q.type = question_type::rank;
  q.options = principles();
  return q;
}

question model_q(bool assign = false) {
  question q;
  q.type = question_type::model_outcome;
  q.assign = assign;
  return q;
}

class TallyTest : public ::testing::Test {
protected:
  scenario s = make_scenario();

  template <class T>
  T run(const question& q, const round_ballots& current, const round_ballots* previous = nullptr, int min_group = 3) {
    const tally t = compute_tally(s, q, current, previous, min_group);
    EXPECT_TRUE(std::holds_alternative<T>(t));
    return std::get<T>(t);
  }

  json wire(const question& q, const round_ballots& current, const round_ballots* previous = nullptr,
            int min_group = 3) {
    return to_json(s, q, compute_tally(s, q, current, previous, min_group));
  }
};

// ---------------------------------------------------------------- consensus

TEST(Consensus, AllAgreeIsOne) {
  EXPECT_EQ(consensus({5, 0, 0}), 1.0);
  EXPECT_EQ(consensus({0, 0, 0, 1}), 1.0);
  EXPECT_EQ(consensus({0, 1000000}), 1.0);
}

TEST(Consensus, EvenSpreadIsZero) {
  EXPECT_EQ(consensus({1, 1, 1}), 0.0);
  EXPECT_EQ(consensus({7, 7, 7, 7}), 0.0);
  EXPECT_EQ(consensus({3, 3}), 0.0);
  for (int k = 2; k <= 20; ++k) EXPECT_EQ(consensus(std::vector<int>(static_cast<std::size_t>(k), 13)), 0.0) << k;
}

TEST(Consensus, NothingToCountIsZero) {
  EXPECT_EQ(consensus({0, 0, 0}), 0.0);
  EXPECT_EQ(consensus({}), 0.0);
}

TEST(Consensus, InBetweenValuesByHand) {
  // Shares 1/2, 1/2, 0, 0: H = 1 bit, log2(4) = 2, so 1 - 1/2.
  EXPECT_DOUBLE_EQ(consensus({2, 2, 0, 0}), 0.5);
  // Shares 1/2, 1/4, 1/4: H = 1/2 + 1/2 + 1/2 = 1.5 bits, log2(3) = 1.5849625...
  EXPECT_NEAR(consensus({2, 1, 1}), 1.0 - 1.5 / 1.584962500721156, 1e-12);
  EXPECT_NEAR(consensus({2, 1, 1}), 0.0536053696, 1e-9);
  // Shares 3/4, 1/4, 0, 0: H = 0.8112781245, /2 = 0.4056390622.
  EXPECT_NEAR(consensus({3, 1, 0, 0}), 0.5943609378, 1e-9);
}

TEST(Consensus, OneOptionWithVotesAgrees) {
  EXPECT_EQ(consensus({4}), 1.0);
}

// ---------------------------------------------------------------- choice

TEST_F(TallyTest, ChoiceCountsAndConsensus) {
  const round_ballots current{{1, chosen({0})}, {2, chosen({2})}, {3, chosen({0})}, {4, chosen({1})}};
  const auto t = run<choice_tally>(choice_q(), current);
  EXPECT_EQ(t.counts, (std::vector<int>{2, 1, 1}));
  EXPECT_NEAR(t.consensus, 1.0 - 1.5 / std::log2(3.0), 1e-12);
  EXPECT_FALSE(t.shift);
  const json j = wire(choice_q(), current);
  EXPECT_EQ(j["counts"], json::parse(R"({"decline":2,"conditions":1,"refer":1})"));
  EXPECT_NEAR(j["consensus"].get<double>(), 0.0536053696, 1e-9);
  EXPECT_FALSE(j.contains("shift"));
}

TEST_F(TallyTest, ChoiceEveryOptionAppearsWithZero) {
  EXPECT_EQ(wire(choice_q(), {}), json::parse(R"({"counts":{"decline":0,"conditions":0,"refer":0},"consensus":0.0})"));
  EXPECT_EQ(wire(choice_q(), {{1, chosen({2})}, {2, chosen({2})}}),
            json::parse(R"({"counts":{"decline":0,"conditions":0,"refer":2},"consensus":1.0})"));
  EXPECT_EQ(wire(choice_q(), {{1, chosen({0})}, {2, chosen({1})}, {3, chosen({2})}}),
            json::parse(R"({"counts":{"decline":1,"conditions":1,"refer":1},"consensus":0.0})"));
}

TEST_F(TallyTest, ChoiceMultipleCountsEachChosenOption) {
  const round_ballots current{{1, chosen({0, 2})}, {2, chosen({2})}, {3, chosen({0, 1, 2})}};
  const auto t = run<choice_tally>(choice_q(3), current);
  EXPECT_EQ(t.counts, (std::vector<int>{2, 1, 3}));
  // A multiple-choice question has no shift, even with a previous round.
  const auto again = run<choice_tally>(choice_q(3), current, &current, 1);
  EXPECT_FALSE(again.shift);
}

TEST_F(TallyTest, ChoiceShiftWithUnchangedAndChanged) {
  const round_ballots previous{{1, chosen({0})}, {2, chosen({0})}, {3, chosen({1})}, {4, chosen({2})}};
  // 1 stays on decline, 2 moves decline -> conditions, 3 stays on conditions, 4 did not vote again, 5 is new.
  const round_ballots current{{1, chosen({0})}, {2, chosen({1})}, {3, chosen({1})}, {5, chosen({2})}};
  const auto t = run<choice_tally>(choice_q(), current, &previous, 3);
  ASSERT_TRUE(t.shift);
  EXPECT_EQ(t.shift->compared, 3);
  EXPECT_EQ(t.shift->changed, 1);
  EXPECT_EQ(t.shift->transitions, (transition_matrix{{1, 1, 0}, {0, 1, 0}, {0, 0, 0}}));
  EXPECT_EQ(t.counts, (std::vector<int>{1, 2, 1}));

  const json j = wire(choice_q(), current, &previous, 3);
  EXPECT_EQ(j["shift"], json::parse(R"({"compared":3,"changed":1,
      "transitions":{"decline":{"decline":1,"conditions":1},"conditions":{"conditions":1}}})"));
}

TEST_F(TallyTest, ChoiceShiftAbsentBelowMinGroup) {
  const round_ballots previous{{1, chosen({0})}, {2, chosen({0})}, {3, chosen({1})}};
  const round_ballots current{{1, chosen({0})}, {2, chosen({1})}, {4, chosen({1})}, {5, chosen({1})}};
  // Compares 2 (voters 1 and 2) while 4 ballots are in: absent at min_group 3, present at 2.
  EXPECT_FALSE(run<choice_tally>(choice_q(), current, &previous, 3).shift);
  EXPECT_FALSE(wire(choice_q(), current, &previous, 3).contains("shift"));
  const auto t = run<choice_tally>(choice_q(), current, &previous, 2);
  ASSERT_TRUE(t.shift);
  EXPECT_EQ(t.shift->compared, 2);
  EXPECT_EQ(t.shift->changed, 1);
  // Round 1 (no previous round): never a shift.
  EXPECT_FALSE(run<choice_tally>(choice_q(), current, nullptr, 1).shift);
}

TEST_F(TallyTest, ChoiceShiftEveryoneUnchanged) {
  const round_ballots both{{1, chosen({2})}, {2, chosen({2})}, {3, chosen({0})}};
  const json j = wire(choice_q(), both, &both, 3);
  EXPECT_EQ(j["shift"],
            json::parse(R"({"compared":3,"changed":0,"transitions":{"refer":{"refer":2},"decline":{"decline":1}}})"));
}

// ---------------------------------------------------------------- scale

TEST_F(TallyTest, ScaleEvenCount) {
  const round_ballots current{{1, value(1)}, {2, value(2)}, {3, value(2)}, {4, value(5)}};
  const auto t = run<scale_tally>(scale_q(), current);
  EXPECT_EQ(t.histogram, (std::vector<int>{1, 2, 0, 0, 1}));
  EXPECT_DOUBLE_EQ(t.mean, 2.5);
  EXPECT_DOUBLE_EQ(t.median, 2.0);  // (2 + 2) / 2
  // Deviations -1.5, -0.5, -0.5, 2.5: squares sum to 9, / 4 = 2.25, sqrt = 1.5.
  EXPECT_DOUBLE_EQ(t.stdev, 1.5);
  EXPECT_EQ(wire(scale_q(), current),
            json::parse(R"({"histogram":{"1":1,"2":2,"3":0,"4":0,"5":1},"mean":2.5,"median":2.0,"stdev":1.5})"));
}

TEST_F(TallyTest, ScaleEvenMedianBetweenValues) {
  const auto t = run<scale_tally>(scale_q(), {{1, value(1)}, {2, value(2)}, {3, value(4)}, {4, value(5)}});
  EXPECT_DOUBLE_EQ(t.median, 3.0);
  const auto u = run<scale_tally>(scale_q(), {{1, value(1)}, {2, value(2)}});
  EXPECT_DOUBLE_EQ(u.median, 1.5);
  EXPECT_DOUBLE_EQ(u.stdev, 0.5);
}

TEST_F(TallyTest, ScaleOddCount) {
  const auto t = run<scale_tally>(scale_q(), {{7, value(5)}, {8, value(1)}, {9, value(3)}});
  EXPECT_DOUBLE_EQ(t.mean, 3.0);
  EXPECT_DOUBLE_EQ(t.median, 3.0);
  EXPECT_DOUBLE_EQ(t.stdev, std::sqrt(8.0 / 3.0));  // (4 + 0 + 4) / 3
  EXPECT_NEAR(t.stdev, 1.6329931619, 1e-9);
  const auto one = run<scale_tally>(scale_q(), {{1, value(4)}});
  EXPECT_DOUBLE_EQ(one.median, 4.0);
  EXPECT_DOUBLE_EQ(one.stdev, 0.0);
}

TEST_F(TallyTest, ScaleNegativeRangeAndNoBallots) {
  EXPECT_EQ(wire(scale_q(-2, 2), {}),
            json::parse(R"({"histogram":{"-2":0,"-1":0,"0":0,"1":0,"2":0},"mean":0.0,"median":0.0,"stdev":0.0})"));
  const auto t = run<scale_tally>(scale_q(-2, 2), {{1, value(-2)}, {2, value(-1)}, {3, value(-1)}});
  EXPECT_EQ(t.histogram, (std::vector<int>{1, 2, 0, 0, 0}));
  EXPECT_DOUBLE_EQ(t.mean, -4.0 / 3.0);
  EXPECT_DOUBLE_EQ(t.median, -1.0);
}

// ---------------------------------------------------------------- points

TEST_F(TallyTest, PointsTotalAndMean) {
  const round_ballots current{{1, points({4, 3, 2, 1})}, {2, points({0, 0, 0, 10})}};
  const auto t = run<points_tally>(points_q(), current);
  EXPECT_EQ(t.total, (std::vector<long long>{4, 3, 2, 11}));
  EXPECT_EQ(t.mean, (std::vector<double>{2.0, 1.5, 1.0, 5.5}));
  EXPECT_EQ(wire(points_q(), current),
            json::parse(R"({"total":{"autonomy":4,"beneficence":3,"non_maleficence":2,"justice":11},
      "mean":{"autonomy":2.0,"beneficence":1.5,"non_maleficence":1.0,"justice":5.5}})"));
}

TEST_F(TallyTest, PointsNoBallots) {
  EXPECT_EQ(wire(points_q(), {}),
            json::parse(R"({"total":{"autonomy":0,"beneficence":0,"non_maleficence":0,"justice":0},
      "mean":{"autonomy":0.0,"beneficence":0.0,"non_maleficence":0.0,"justice":0.0}})"));
}

TEST_F(TallyTest, PointsLargeBudgetDoesNotOverflow) {
  round_ballots current;
  for (voter_id v = 0; v < 4; ++v) current.emplace(v, points({INT_MAX, 0, 0, 0}));
  const auto t = run<points_tally>(points_q(INT_MAX), current);
  EXPECT_EQ(t.total[0], 4LL * INT_MAX);
  EXPECT_DOUBLE_EQ(t.mean[0], static_cast<double>(INT_MAX));
}

// ---------------------------------------------------------------- rank

TEST_F(TallyTest, RankBordaAndFirst) {
  // justice > autonomy > non_maleficence > beneficence, and the plain order.
  const round_ballots current{{1, ranked({3, 0, 2, 1})}, {2, ranked({0, 1, 2, 3})}};
  const auto t = run<rank_tally>(rank_q(), current);
  EXPECT_EQ(t.borda, (std::vector<long long>{5, 2, 2, 3}));
  EXPECT_EQ(t.first, (std::vector<int>{1, 0, 0, 1}));
  EXPECT_EQ(wire(rank_q(), current),
            json::parse(R"({"borda":{"autonomy":5,"beneficence":2,"non_maleficence":2,"justice":3},
      "first":{"autonomy":1,"beneficence":0,"non_maleficence":0,"justice":1}})"));
  EXPECT_EQ(wire(rank_q(), {}), json::parse(R"({"borda":{"autonomy":0,"beneficence":0,"non_maleficence":0,"justice":0},
      "first":{"autonomy":0,"beneficence":0,"non_maleficence":0,"justice":0}})"));
}

// ---------------------------------------------------------------- model_outcome

TEST_F(TallyTest, ModelOutcomeMatrixAndConsensus) {
  const round_ballots current{{1, outcomes({0, 2, 1, 0})},
                              {2, outcomes({0, 2, 0, 1})},
                              {3, outcomes({0, 1, 2, 2})},
                              {4, outcomes({0, 2, 0, 1})}};
  const auto t = run<model_outcome_tally>(model_q(), current);
  EXPECT_EQ(t.matrix, (std::vector<std::vector<int>>{{4, 0, 0}, {0, 1, 3}, {2, 1, 1}, {1, 2, 1}}));
  EXPECT_EQ(t.row_shown, (std::vector<bool>{true, true, true, true}));
  EXPECT_EQ(t.consensus[0], 1.0);
  EXPECT_NEAR(t.consensus[2], 1.0 - 1.5 / std::log2(3.0), 1e-12);
  EXPECT_NEAR(t.consensus[3], 1.0 - 1.5 / std::log2(3.0), 1e-12);
  const json j = wire(model_q(), current);
  EXPECT_EQ(j["matrix"], json::parse(R"({"guidelines":{"decline":4,"conditions":0,"refer":0},
      "stakeholder":{"decline":0,"conditions":1,"refer":3},"utilitarian":{"decline":2,"conditions":1,"refer":1},
      "virtue":{"decline":1,"conditions":2,"refer":1}})"));
  EXPECT_EQ(j["consensus"]["guidelines"], 1.0);
  EXPECT_EQ(j["consensus"].size(), 4u);
  EXPECT_FALSE(j.contains("shift"));
}

TEST_F(TallyTest, ModelOutcomeNoBallotsShowsEveryPair) {
  const json j = wire(model_q(), {});
  ASSERT_EQ(j["matrix"].size(), 4u);
  for (const auto& [model, row] : j["matrix"].items()) {
    EXPECT_EQ(row, json::parse(R"({"decline":0,"conditions":0,"refer":0})")) << model;
    EXPECT_EQ(j["consensus"][model], 0.0);
  }
}

TEST_F(TallyTest, ModelOutcomeUnassignedRowsAlwaysShown) {
  // Even a single ballot shows every row when the question is not assigned.
  const auto t = run<model_outcome_tally>(model_q(false), {{1, outcomes({0, 1, 2, 0})}}, nullptr, 3);
  EXPECT_EQ(t.row_shown, (std::vector<bool>{true, true, true, true}));
}

TEST_F(TallyTest, AssignedRowsHeldBackBelowMinGroup) {
  // stakeholder: 3 ballots (shown); virtue: 2 (held back); guidelines, utilitarian: none (held back).
  const round_ballots current{{1, outcomes({none, 2, none, none})},
                              {2, outcomes({none, 2, none, none})},
                              {3, outcomes({none, 0, none, none})},
                              {4, outcomes({none, none, none, 1})},
                              {5, outcomes({none, none, none, 1})}};
  const auto t = run<model_outcome_tally>(model_q(true), current, nullptr, 3);
  EXPECT_EQ(t.row_shown, (std::vector<bool>{false, true, false, false}));
  EXPECT_EQ(t.matrix[1], (std::vector<int>{1, 0, 2}));
  EXPECT_EQ(t.matrix[3], (std::vector<int>{0, 0, 0}));  // zeroed: nothing to leak
  EXPECT_EQ(t.consensus[3], 0.0);
  const json j = wire(model_q(true), current, nullptr, 3);
  EXPECT_EQ(j["matrix"], json::parse(R"({"stakeholder":{"decline":1,"conditions":0,"refer":2}})"));
  EXPECT_EQ(j["consensus"].size(), 1u);
  EXPECT_TRUE(j["consensus"].contains("stakeholder"));

  // At min_group 2 virtue shows too.
  const auto u = run<model_outcome_tally>(model_q(true), current, nullptr, 2);
  EXPECT_EQ(u.row_shown, (std::vector<bool>{false, true, false, true}));
  EXPECT_EQ(u.matrix[3], (std::vector<int>{0, 2, 0}));
  EXPECT_EQ(u.consensus[3], 1.0);
}

TEST_F(TallyTest, ModelOutcomeShift) {
  const round_ballots previous{{1, outcomes({0, 2, 1, 0})},
                               {2, outcomes({0, 2, 0, 1})},
                               {3, outcomes({0, 1, 2, 2})},
                               {9, outcomes({1, 1, 1, 1})}};
  // 1 unchanged, 2 changes virtue, 3 changes stakeholder and utilitarian; 9 left; 4 is new.
  const round_ballots current{{1, outcomes({0, 2, 1, 0})},
                              {2, outcomes({0, 2, 0, 2})},
                              {3, outcomes({0, 2, 0, 2})},
                              {4, outcomes({2, 2, 2, 2})}};
  const auto t = run<model_outcome_tally>(model_q(), current, &previous, 3);
  ASSERT_TRUE(t.shift);
  EXPECT_EQ(t.shift->compared, 3);
  EXPECT_EQ(t.shift->changed, 2);
  ASSERT_EQ(t.shift->transitions.size(), 4u);
  EXPECT_EQ(t.shift->transitions[0], (transition_matrix{{3, 0, 0}, {0, 0, 0}, {0, 0, 0}}));
  EXPECT_EQ(t.shift->transitions[1], (transition_matrix{{0, 0, 0}, {0, 0, 1}, {0, 0, 2}}));
  const json j = wire(model_q(), current, &previous, 3);
  EXPECT_EQ(j["shift"], json::parse(R"({"compared":3,"changed":2,"transitions":{
      "guidelines":{"decline":{"decline":3}},
      "stakeholder":{"conditions":{"refer":1},"refer":{"refer":2}},
      "utilitarian":{"conditions":{"conditions":1},"decline":{"decline":1},"refer":{"decline":1}},
      "virtue":{"decline":{"decline":1},"conditions":{"refer":1},"refer":{"refer":1}}}})"));

  EXPECT_FALSE(run<model_outcome_tally>(model_q(), current, &previous, 4).shift);
  EXPECT_FALSE(wire(model_q(), current, &previous, 4).contains("shift"));
  EXPECT_FALSE(run<model_outcome_tally>(model_q(), current, nullptr, 1).shift);
}

TEST_F(TallyTest, AssignedModelOutcomeShiftHoldsBackSmallModels) {
  // stakeholder: voters 1-3 in both rounds; virtue: voters 4-5 in both rounds.
  const round_ballots previous{{1, outcomes({none, 2, none, none})},
                               {2, outcomes({none, 2, none, none})},
                               {3, outcomes({none, 0, none, none})},
                               {4, outcomes({none, none, none, 1})},
                               {5, outcomes({none, none, none, 1})}};
  const round_ballots current{{1, outcomes({none, 2, none, none})}, {2, outcomes({none, 0, none, none})},
                              {3, outcomes({none, 0, none, none})}, {4, outcomes({none, none, none, 0})},
                              {5, outcomes({none, none, none, 1})}, {6, outcomes({none, none, none, 1})}};
  // min_group 3: virtue has 3 ballots (row shown) but compares only 2, so its transitions
  // are held back, and compared/changed count stakeholder only.
  const auto t = run<model_outcome_tally>(model_q(true), current, &previous, 3);
  EXPECT_EQ(t.row_shown, (std::vector<bool>{false, true, false, true}));
  ASSERT_TRUE(t.shift);
  EXPECT_EQ(t.shift->compared, 3);
  EXPECT_EQ(t.shift->changed, 1);
  EXPECT_TRUE(t.shift->transitions[3].empty());
  EXPECT_TRUE(t.shift->transitions[0].empty());
  const json j = wire(model_q(true), current, &previous, 3);
  EXPECT_EQ(j["shift"], json::parse(R"({"compared":3,"changed":1,"transitions":{
      "stakeholder":{"refer":{"refer":1,"decline":1},"decline":{"decline":1}}}})"));

  // min_group 2: both models' transitions shown, over all five.
  const auto u = run<model_outcome_tally>(model_q(true), current, &previous, 2);
  ASSERT_TRUE(u.shift);
  EXPECT_EQ(u.shift->compared, 5);
  EXPECT_EQ(u.shift->changed, 2);
  EXPECT_EQ(u.shift->transitions[3], (transition_matrix{{0, 0, 0}, {1, 1, 0}, {0, 0, 0}}));

  // min_group 4: nothing compares enough.
  EXPECT_FALSE(run<model_outcome_tally>(model_q(true), current, &previous, 4).shift);
}

TEST_F(TallyTest, MismatchedTallyHasNoWireForm) {
  EXPECT_TRUE(to_json(s, scale_q(), tally{choice_tally{}}).is_null());
}

// ---------------------------------------------------------------- properties

class TallyProperty : public TallyTest {
protected:
  std::mt19937 rng{424242};
  std::size_t pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); }

  // Every tallied ballot also survives to_json -> parse_ballot.
  void round_trips(const question& q, const round_ballots& ballots) {
    for (const auto& [voter, b] : ballots) {
      const auto r = parse_ballot(s, q, to_json(s, q, b));
      ASSERT_TRUE(r.ok()) << to_json(s, q, b).dump();
      EXPECT_EQ(r.value(), b);
    }
  }
};

TEST_F(TallyProperty, SingleChoiceCountsSumToBallots) {
  for (int iteration = 0; iteration < 300; ++iteration) {
    const question q = iteration % 2 ? choice_q() : choice4_q();
    const std::size_t n = pick(60);
    round_ballots previous;
    round_ballots current;
    for (std::size_t v = 0; v < n; ++v) {
      current.emplace(static_cast<voter_id>(v), chosen({pick(q.options.size())}));
      if (pick(3) != 0) previous.emplace(static_cast<voter_id>(v + pick(2) * 1000), chosen({pick(q.options.size())}));
    }
    const int min_group = static_cast<int>(1 + pick(5));
    const auto t = run<choice_tally>(q, current, &previous, min_group);
    int sum = 0;
    for (int c : t.counts) sum += c;
    EXPECT_EQ(sum, static_cast<int>(n));
    EXPECT_GE(t.consensus, 0.0);
    EXPECT_LE(t.consensus, 1.0);
    if (t.shift) {
      EXPECT_GE(t.shift->compared, min_group);
      EXPECT_LE(t.shift->changed, t.shift->compared);
      int transitions = 0;
      int diagonal = 0;
      for (std::size_t f = 0; f < q.options.size(); ++f)
        for (std::size_t to = 0; to < q.options.size(); ++to) {
          transitions += t.shift->transitions[f][to];
          if (f == to) diagonal += t.shift->transitions[f][to];
        }
      EXPECT_EQ(transitions, t.shift->compared);
      EXPECT_EQ(t.shift->compared - diagonal, t.shift->changed);
    }
    const json j = wire(q, current, &previous, min_group);
    EXPECT_EQ(j["counts"].size(), q.options.size());
    EXPECT_EQ(j.contains("shift"), t.shift.has_value());
    round_trips(q, current);
  }
}

TEST_F(TallyProperty, BordaTotalsAreFixed) {
  for (int iteration = 0; iteration < 300; ++iteration) {
    question q = rank_q();
    q.options.resize(2 + pick(3));  // 2 to 4 options
    const std::size_t m = q.options.size();
    const std::size_t n = pick(50);
    round_ballots current;
    for (std::size_t v = 0; v < n; ++v) {
      indices order(m);
      for (std::size_t i = 0; i < m; ++i) order[i] = i;
      std::shuffle(order.begin(), order.end(), rng);
      current.emplace(static_cast<voter_id>(v), ranked(order));
    }
    const auto t = run<rank_tally>(q, current);
    long long borda = 0;
    int first = 0;
    for (std::size_t i = 0; i < m; ++i) {
      borda += t.borda[i];
      first += t.first[i];
    }
    EXPECT_EQ(borda, static_cast<long long>(n * m * (m - 1) / 2));
    EXPECT_EQ(first, static_cast<int>(n));
    round_trips(q, current);
  }
}

TEST_F(TallyProperty, PointTotalsEqualBallotsTimesBudget) {
  for (int iteration = 0; iteration < 300; ++iteration) {
    const question q = points_q(static_cast<int>(1 + pick(100)));
    const std::size_t n = pick(50);
    round_ballots current;
    for (std::size_t v = 0; v < n; ++v) {
      std::vector<int> p(q.options.size(), 0);
      for (int k = 0; k < q.budget; ++k) ++p[pick(p.size())];
      current.emplace(static_cast<voter_id>(v), points(p));
    }
    const auto t = run<points_tally>(q, current);
    long long total = 0;
    double mean = 0;
    for (std::size_t i = 0; i < q.options.size(); ++i) {
      total += t.total[i];
      mean += t.mean[i];
    }
    EXPECT_EQ(total, static_cast<long long>(n) * q.budget);
    EXPECT_NEAR(mean, n == 0 ? 0.0 : q.budget, 1e-9);
    round_trips(q, current);
  }
}

TEST_F(TallyProperty, HistogramSumsToBallots) {
  for (int iteration = 0; iteration < 300; ++iteration) {
    const int min = static_cast<int>(pick(21)) - 10;
    const question q = scale_q(min, min + 1 + static_cast<int>(pick(10)));
    const std::size_t n = pick(50);
    round_ballots current;
    std::vector<int> values;
    for (std::size_t v = 0; v < n; ++v) {
      const int x = q.min + static_cast<int>(pick(static_cast<std::size_t>(q.max - q.min + 1)));
      values.push_back(x);
      current.emplace(static_cast<voter_id>(v), value(x));
    }
    const auto t = run<scale_tally>(q, current);
    ASSERT_EQ(t.histogram.size(), static_cast<std::size_t>(q.max - q.min + 1));
    int sum = 0;
    for (int c : t.histogram) sum += c;
    EXPECT_EQ(sum, static_cast<int>(n));
    if (n > 0) {
      EXPECT_GE(t.mean, q.min);
      EXPECT_LE(t.mean, q.max);
      EXPECT_GE(t.median, q.min);
      EXPECT_LE(t.median, q.max);
      EXPECT_GE(t.stdev, 0.0);
      EXPECT_LE(t.stdev, (q.max - q.min) / 2.0 + 1e-9);
      std::sort(values.begin(), values.end());
      EXPECT_DOUBLE_EQ(t.median, (values[(n - 1) / 2] + values[n / 2]) / 2.0);
    } else {
      EXPECT_EQ(t.mean, 0.0);
      EXPECT_EQ(t.median, 0.0);
      EXPECT_EQ(t.stdev, 0.0);
    }
    EXPECT_EQ(wire(q, current)["histogram"].size(), t.histogram.size());
    round_trips(q, current);
  }
}

TEST_F(TallyProperty, ModelOutcomeRowsAndShift) {
  for (int iteration = 0; iteration < 300; ++iteration) {
    const bool assign = pick(2) == 1;
    const question q = model_q(assign);
    const std::size_t n = pick(40);
    const int min_group = static_cast<int>(1 + pick(5));
    const auto random_ballot = [&](voter_id v) {
      maybe_indices o(s.models.size(), none);
      for (std::size_t m = 0; m < o.size(); ++m)
        if (!assign || m == v % s.models.size()) o[m] = pick(s.outcomes.size());
      return outcomes(o);
    };
    round_ballots previous;
    round_ballots current;
    for (voter_id v = 0; v < n; ++v) {
      current.emplace(v, random_ballot(v));
      if (pick(3) != 0) previous.emplace(v, random_ballot(v));
    }
    const auto t = run<model_outcome_tally>(q, current, &previous, min_group);
    int cells = 0;
    for (std::size_t m = 0; m < s.models.size(); ++m) {
      int row = 0;
      for (int c : t.matrix[m]) row += c;
      cells += row;
      if (t.row_shown[m]) {
        EXPECT_TRUE(!assign || row >= min_group);
        EXPECT_GE(t.consensus[m], 0.0);
        EXPECT_LE(t.consensus[m], 1.0);
      } else {
        EXPECT_TRUE(assign);
        EXPECT_EQ(row, 0);
      }
    }
    if (!assign) {
      EXPECT_EQ(cells, static_cast<int>(n * s.models.size()));
    }
    if (t.shift) {
      EXPECT_GE(t.shift->compared, min_group);
      EXPECT_LE(t.shift->changed, t.shift->compared);
      for (std::size_t m = 0; m < s.models.size(); ++m) {
        if (t.shift->transitions[m].empty()) {
          EXPECT_TRUE(assign);
          continue;
        }
        int on_model = 0;
        for (const auto& row : t.shift->transitions[m])
          for (int c : row) on_model += c;
        if (assign) {
          EXPECT_GE(on_model, min_group);
        } else {
          EXPECT_EQ(on_model, t.shift->compared);
        }
      }
    }
    const json j = wire(q, current, &previous, min_group);
    EXPECT_EQ(j.contains("shift"), t.shift.has_value());
    for (std::size_t m = 0; m < s.models.size(); ++m)
      EXPECT_EQ(j["matrix"].contains(s.models[m].id), static_cast<bool>(t.row_shown[m]));
  }
}

}  // namespace
}  // namespace roundtable

TEST(EnoughToShow, IsTheThresholdItself) {
  EXPECT_FALSE(roundtable::enough_to_show(2, 3));
  EXPECT_TRUE(roundtable::enough_to_show(3, 3));
  EXPECT_TRUE(roundtable::enough_to_show(1, 1));
  EXPECT_FALSE(roundtable::enough_to_show(0, 1));  // nothing answered is never shown
}
