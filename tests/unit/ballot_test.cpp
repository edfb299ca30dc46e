// Ballot validation (protocol.md, "Ballots and tallies, by question type") and the canonical wire form.
#include "roundtable/ballot.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <functional>
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
  s.title = "A project you believe does harm";
  s.models = {{"guidelines", "Ethical Guidelines Model", "p"},
              {"stakeholder", "Stakeholder Analysis", "p"},
              {"utilitarian", "Utilitarian Framework", "p"},
              {"virtue", "Virtue Ethics Approach", "p"}};
  s.outcomes = {{"decline", "Decline"}, {"conditions", "Accept with conditions"}, {"refer", "Refer"}};
  return s;
}

std::vector<option> principles() {
  return {{"autonomy", "Autonomy"},
          {"beneficence", "Beneficence"},
          {"non_maleficence", "Non-maleficence"},
          {"justice", "Justice"}};
}

question choice_q(int max_choices = 1) {
  question q;
  q.type = question_type::choice;
  q.prompt = "What would you do?";
  q.options = {{"decline", "Decline"}, {"conditions", "Accept with conditions"}, {"refer", "Refer"}};
  q.options_from_outcomes = true;
  q.max_choices = max_choices;
  return q;
}

question scale_q(int min = 1, int max = 5) {
  question q;
  q.type = question_type::scale;
  q.prompt = "How sure are you?";
  q.min = min;
  q.max = max;
  return q;
}

question points_q(int budget = 10) {
  question q;
  q.type = question_type::points;
  q.prompt = "Share the points.";
  q.options = principles();
  q.budget = budget;
  return q;
}

question rank_q() {
  question q;
  q.type = question_type::rank;
  q.prompt = "Rank them.";
  q.options = principles();
  return q;
}

question model_q(bool assign = false) {
  question q;
  q.type = question_type::model_outcome;
  q.prompt = "Which action does each model point to?";
  q.assign = assign;
  return q;
}

question text_q() {
  question q;
  q.type = question_type::text;
  q.prompt = "What matters most?";
  return q;
}

class BallotTest : public ::testing::Test {
protected:
  scenario s = make_scenario();

  ballot ok(const question& q, const json& b, std::optional<std::size_t> assigned = std::nullopt) {
    auto r = parse_ballot(s, q, b, assigned);
    EXPECT_TRUE(r.ok()) << b.dump() << ": " << (r.ok() ? "" : r.err().message);
    if (!r.ok()) return choice_ballot{};
    return r.value();
  }

  void refused(const question& q, const json& b, const std::string& message,
               std::optional<std::size_t> assigned = std::nullopt) {
    auto r = parse_ballot(s, q, b, assigned);
    ASSERT_FALSE(r.ok()) << b.dump() << " was accepted";
    EXPECT_EQ(r.err().code, error_code::invalid_ballot) << b.dump();
    EXPECT_EQ(r.err().message, message) << b.dump();
  }
};

// ---------------------------------------------------------------- every type

TEST_F(BallotTest, NonObjectBallotsAreRefusedForEveryType) {
  for (const question& q : {choice_q(), scale_q(), points_q(), rank_q(), model_q()}) {
    refused(q, json(nullptr), "ballot: must be an object");
    refused(q, json::array({"decline"}), "ballot: must be an object");
    refused(q, json("decline"), "ballot: must be an object");
    refused(q, json(3), "ballot: must be an object");
    refused(q, json(true), "ballot: must be an object");
  }
}

TEST_F(BallotTest, TextQuestionsTakeNoVote) {
  refused(text_q(), json{{"text", "hello"}}, "text questions take a perspective, not a vote");
  refused(text_q(), json(nullptr), "text questions take a perspective, not a vote");
}

TEST_F(BallotTest, UnknownFieldsAreRefused) {
  refused(choice_q(), json{{"choice", "refer"}, {"extra", 1}}, R"(ballot: unknown field "extra")");
  refused(scale_q(), json{{"value", 3}, {"Value", 3}}, R"(ballot: unknown field "Value")");
  refused(points_q(), json{{"points", json::object()}, {"choice", "x"}}, R"(ballot: unknown field "choice")");
  refused(rank_q(), json{{"order", json::array()}, {"id", "1"}}, R"(ballot: unknown field "id")");
  refused(model_q(), json{{"outcomes", json::object()}, {"model", "virtue"}}, R"(ballot: unknown field "model")");
  // A field of another type is unknown here too.
  refused(choice_q(), json{{"value", 3}}, R"(ballot: unknown field "value")");
}

TEST_F(BallotTest, ErrorsNeverThrowOnHostileInput) {
  // Long and malformed strings are quoted back cut short and escaped.
  const std::string long_id(500, 'x');
  refused(choice_q(), json{{"choice", long_id}},
          "ballot.choice: unknown option \"" + std::string(40, 'x') + "\u2026\"");
  refused(choice_q(), json{{"choice", "a\"b"}}, R"(ballot.choice: unknown option "a\"b")");
  refused(choice_q(), json{{"choice", std::string("\xff\xfe")}},
          "ballot.choice: unknown option \"\xEF\xBF\xBD\xEF\xBF\xBD\"");
}

// ---------------------------------------------------------------- choice

TEST_F(BallotTest, ChoiceSingleForms) {
  EXPECT_EQ(ok(choice_q(), json{{"choice", "refer"}}), chosen({2}));
  EXPECT_EQ(ok(choice_q(), json{{"choices", {"conditions"}}}), chosen({1}));
}

TEST_F(BallotTest, ChoiceMultipleForms) {
  EXPECT_EQ(ok(choice_q(2), json{{"choice", "refer"}}), chosen({2}));
  EXPECT_EQ(ok(choice_q(2), json{{"choices", {"refer", "decline"}}}), chosen({0, 2}));
  EXPECT_EQ(ok(choice_q(3), json{{"choices", {"refer", "conditions", "decline"}}}), chosen({0, 1, 2}));
}

TEST_F(BallotTest, ChoiceRefusals) {
  refused(choice_q(), json::object(), R"(ballot.choice: missing (give "choice" or "choices"))");
  refused(choice_q(), json{{"choice", "refer"}, {"choices", {"refer"}}},
          R"(ballot: give "choice" or "choices", not both)");
  refused(choice_q(), json{{"choice", "x"}}, R"(ballot.choice: unknown option "x")");
  refused(choice_q(), json{{"choice", "Refer"}}, R"(ballot.choice: unknown option "Refer")");
  refused(choice_q(), json{{"choice", 1}}, "ballot.choice: must be a string");
  refused(choice_q(), json{{"choice", nullptr}}, "ballot.choice: must be a string");
  refused(choice_q(), json{{"choice", {"refer"}}}, "ballot.choice: must be a string");
  refused(choice_q(), json{{"choices", "refer"}}, "ballot.choices: must be an array");
  refused(choice_q(), json{{"choices", json::object()}}, "ballot.choices: must be an array");
  refused(choice_q(), json{{"choices", json::array()}}, "ballot.choices: must not be empty");
  refused(choice_q(2), json{{"choices", json::array()}}, "ballot.choices: must not be empty");
  refused(choice_q(), json{{"choices", {"refer", "decline"}}}, "ballot.choices: 2 chosen, at most 1 allowed");
  refused(choice_q(2), json{{"choices", {"refer", "decline", "conditions"}}},
          "ballot.choices: 3 chosen, at most 2 allowed");
  refused(choice_q(2), json{{"choices", {"refer", "refer"}}}, R"(ballot.choices: duplicate option "refer")");
  refused(choice_q(2), json{{"choices", {"refer", "nope"}}}, R"(ballot.choices: unknown option "nope")");
  refused(choice_q(2), json{{"choices", {"refer", 2}}}, "ballot.choices[1]: must be a string");
  refused(choice_q(2), json{{"choices", {nullptr}}}, "ballot.choices[0]: must be a string");
}

// ---------------------------------------------------------------- scale

TEST_F(BallotTest, ScaleValues) {
  EXPECT_EQ(ok(scale_q(), json{{"value", 1}}), ballot{scale_ballot{1}});
  EXPECT_EQ(ok(scale_q(), json{{"value", 5}}), ballot{scale_ballot{5}});
  EXPECT_EQ(ok(scale_q(-3, 3), json{{"value", -3}}), ballot{scale_ballot{-3}});
  EXPECT_EQ(ok(scale_q(), json::parse(R"({"value":3})")), ballot{scale_ballot{3}});
}

TEST_F(BallotTest, ScaleRefusals) {
  refused(scale_q(), json::object(), "ballot.value: missing");
  refused(scale_q(), json{{"value", 7}}, "ballot.value: 7 is outside 1..5");
  refused(scale_q(), json{{"value", 0}}, "ballot.value: 0 is outside 1..5");
  refused(scale_q(-3, 3), json{{"value", -4}}, "ballot.value: -4 is outside -3..3");
  refused(scale_q(), json::parse(R"({"value":18446744073709551615})"),
          "ballot.value: 18446744073709551615 is outside 1..5");
  refused(scale_q(), json::parse(R"({"value":-9223372036854775808})"),
          "ballot.value: -9223372036854775808 is outside 1..5");
  refused(scale_q(), json{{"value", 4294967299LL}}, "ballot.value: 4294967299 is outside 1..5");
  refused(scale_q(), json{{"value", 1.5}}, "ballot.value: must be an integer");
  refused(scale_q(), json::parse(R"({"value":3.0})"), "ballot.value: must be an integer");
  refused(scale_q(), json::parse(R"({"value":3e0})"), "ballot.value: must be an integer");
  refused(scale_q(), json{{"value", "3"}}, "ballot.value: must be an integer");
  refused(scale_q(), json{{"value", true}}, "ballot.value: must be an integer");
  refused(scale_q(), json{{"value", nullptr}}, "ballot.value: must be an integer");
  refused(scale_q(), json{{"value", {3}}}, "ballot.value: must be an integer");
}

// ---------------------------------------------------------------- points

TEST_F(BallotTest, PointsValid) {
  EXPECT_EQ(
      ok(points_q(), json{{"points", {{"autonomy", 4}, {"beneficence", 3}, {"non_maleficence", 2}, {"justice", 1}}}}),
      points({4, 3, 2, 1}));
  // An omitted option counts 0; explicit zeros are fine.
  EXPECT_EQ(ok(points_q(), json{{"points", {{"justice", 10}}}}), points({0, 0, 0, 10}));
  EXPECT_EQ(ok(points_q(), json{{"points", {{"justice", 10}, {"autonomy", 0}}}}), points({0, 0, 0, 10}));
  EXPECT_EQ(ok(points_q(INT_MAX), json{{"points", {{"autonomy", INT_MAX}}}}), points({INT_MAX, 0, 0, 0}));
}

TEST_F(BallotTest, PointsRefusals) {
  refused(points_q(), json::object(), "ballot.points: missing");
  refused(points_q(), json{{"points", {1, 2}}}, "ballot.points: must be an object");
  refused(points_q(), json{{"points", 10}}, "ballot.points: must be an object");
  refused(points_q(), json{{"points", json::object()}}, "ballot.points: sum is 0, must be 10");
  refused(points_q(), json{{"points", {{"autonomy", 4}, {"justice", 5}}}}, "ballot.points: sum is 9, must be 10");
  refused(points_q(), json{{"points", {{"autonomy", 6}, {"justice", 5}}}}, "ballot.points: sum is 11, must be 10");
  refused(points_q(), json{{"points", {{"autonomy", 11}, {"justice", -1}}}}, "ballot.points.justice: -1 is negative");
  refused(points_q(), json{{"points", {{"autonomy", 10}, {"care", 0}}}}, R"(ballot.points: unknown option "care")");
  refused(points_q(), json{{"points", {{"autonomy", 10.0}}}}, "ballot.points.autonomy: must be an integer");
  refused(points_q(), json::parse(R"({"points":{"autonomy":10.0}})"), "ballot.points.autonomy: must be an integer");
  refused(points_q(), json{{"points", {{"autonomy", 9.5}, {"justice", 0.5}}}},
          "ballot.points.autonomy: must be an integer");
  refused(points_q(), json{{"points", {{"autonomy", "10"}}}}, "ballot.points.autonomy: must be an integer");
  refused(points_q(), json{{"points", {{"autonomy", true}}}}, "ballot.points.autonomy: must be an integer");
  refused(points_q(), json{{"points", {{"autonomy", nullptr}}}}, "ballot.points.autonomy: must be an integer");
  // Values must fit in int; the sum is 64-bit and cannot wrap round to the budget.
  refused(points_q(), json{{"points", {{"autonomy", 2147483648LL}}}},
          "ballot.points.autonomy: 2147483648 is too large");
  refused(points_q(), json::parse(R"({"points":{"autonomy":18446744073709551615}})"),
          "ballot.points.autonomy: 18446744073709551615 is too large");
  refused(points_q(), json::parse(R"({"points":{"autonomy":-9223372036854775808}})"),
          "ballot.points.autonomy: -9223372036854775808 is negative");
  // In 32 bits this sum (2^32 + 10) would wrap round to exactly the budget.
  refused(points_q(), json{{"points", {{"autonomy", INT_MAX}, {"beneficence", INT_MAX}, {"justice", 12}}}},
          "ballot.points: sum is 4294967306, must be 10");
}

// ---------------------------------------------------------------- rank

TEST_F(BallotTest, RankValid) {
  EXPECT_EQ(ok(rank_q(), json{{"order", {"justice", "autonomy", "non_maleficence", "beneficence"}}}),
            ranked({3, 0, 2, 1}));
  EXPECT_EQ(ok(rank_q(), json{{"order", {"autonomy", "beneficence", "non_maleficence", "justice"}}}),
            ranked({0, 1, 2, 3}));
}

TEST_F(BallotTest, RankRefusals) {
  refused(rank_q(), json::object(), "ballot.order: missing");
  refused(rank_q(), json{{"order", "autonomy"}}, "ballot.order: must be an array");
  refused(rank_q(), json{{"order", {{"autonomy", 1}}}}, "ballot.order: must be an array");
  refused(rank_q(), json{{"order", json::array()}}, R"(ballot.order: missing option "autonomy")");
  refused(rank_q(), json{{"order", {"justice", "autonomy", "beneficence"}}},
          R"(ballot.order: missing option "non_maleficence")");
  refused(rank_q(), json{{"order", {"justice", "autonomy", "autonomy", "beneficence"}}},
          R"(ballot.order: duplicate option "autonomy")");
  refused(rank_q(), json{{"order", {"justice", "autonomy", "non_maleficence", "beneficence", "justice"}}},
          R"(ballot.order: duplicate option "justice")");
  refused(rank_q(), json{{"order", {"justice", "autonomy", "care", "beneficence"}}},
          R"(ballot.order: unknown option "care")");
  refused(rank_q(), json{{"order", {"justice", 1, "non_maleficence", "beneficence"}}},
          "ballot.order[1]: must be a string");
}

// ---------------------------------------------------------------- model_outcome

TEST_F(BallotTest, ModelOutcomeEveryModel) {
  const json b{
      {"outcomes",
       {{"guidelines", "decline"}, {"stakeholder", "refer"}, {"utilitarian", "conditions"}, {"virtue", "decline"}}}};
  EXPECT_EQ(ok(model_q(), b), outcomes({0, 2, 1, 0}));
}

TEST_F(BallotTest, ModelOutcomeAssigned) {
  EXPECT_EQ(ok(model_q(true), json{{"outcomes", {{"stakeholder", "refer"}}}}, 1), outcomes({none, 2, none, none}));
}

TEST_F(BallotTest, ModelOutcomeRefusals) {
  const json all{
      {"guidelines", "decline"}, {"stakeholder", "refer"}, {"utilitarian", "conditions"}, {"virtue", "decline"}};
  refused(model_q(), json::object(), "ballot.outcomes: missing");
  refused(model_q(), json{{"outcomes", {"decline"}}}, "ballot.outcomes: must be an object");
  refused(model_q(), json{{"outcomes", json::object()}}, R"(ballot.outcomes: missing model "guidelines")");
  json missing = all;
  missing.erase("virtue");
  refused(model_q(), json{{"outcomes", missing}}, R"(ballot.outcomes: missing model "virtue")");
  json unknown_model = all;
  unknown_model["care"] = "decline";
  refused(model_q(), json{{"outcomes", unknown_model}}, R"(ballot.outcomes: unknown model "care")");
  json unknown_outcome = all;
  unknown_outcome["virtue"] = "shrug";
  refused(model_q(), json{{"outcomes", unknown_outcome}}, R"(ballot.outcomes.virtue: unknown outcome "shrug")");
  json not_string = all;
  not_string["virtue"] = 1;
  refused(model_q(), json{{"outcomes", not_string}}, "ballot.outcomes.virtue: must be a string");
  not_string["virtue"] = json::array({"decline"});
  refused(model_q(), json{{"outcomes", not_string}}, "ballot.outcomes.virtue: must be a string");

  // Assigned: exactly the assigned model.
  refused(model_q(true), json{{"outcomes", all}},
          R"(ballot.outcomes: only the assigned model "stakeholder" may be answered)", 1);
  refused(model_q(true), json{{"outcomes", {{"virtue", "decline"}}}},
          R"(ballot.outcomes: only the assigned model "stakeholder" may be answered)", 1);
  refused(model_q(true), json{{"outcomes", json::object()}}, R"(ballot.outcomes: missing model "stakeholder")", 1);
  refused(model_q(true), json{{"outcomes", {{"stakeholder", "maybe"}}}},
          R"(ballot.outcomes.stakeholder: unknown outcome "maybe")", 1);
}

TEST_F(BallotTest, AssignedModelOutOfRangeIsInternal) {
  auto r = parse_ballot(s, model_q(true), json{{"outcomes", json::object()}}, 9);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, error_code::internal);
}

// ---------------------------------------------------------------- canonical form

TEST_F(BallotTest, CanonicalWireForms) {
  EXPECT_EQ(to_json(s, choice_q(), choice_ballot{{2}}), json::parse(R"({"choice":"refer"})"));
  EXPECT_EQ(to_json(s, choice_q(2), choice_ballot{{2}}), json::parse(R"({"choices":["refer"]})"));
  EXPECT_EQ(to_json(s, choice_q(3), choice_ballot{{2, 0}}), json::parse(R"({"choices":["decline","refer"]})"));
  EXPECT_EQ(to_json(s, scale_q(), scale_ballot{4}), json::parse(R"({"value":4})"));
  EXPECT_EQ(to_json(s, points_q(), points_ballot{{0, 0, 0, 10}}),
            json::parse(R"({"points":{"autonomy":0,"beneficence":0,"non_maleficence":0,"justice":10}})"));
  EXPECT_EQ(to_json(s, rank_q(), rank_ballot{{3, 0, 2, 1}}),
            json::parse(R"({"order":["justice","autonomy","non_maleficence","beneficence"]})"));
  EXPECT_EQ(
      to_json(s, model_q(), model_outcome_ballot{{0, 2, 1, 0}}),
      json::parse(
          R"({"outcomes":{"guidelines":"decline","stakeholder":"refer","utilitarian":"conditions","virtue":"decline"}})"));
  EXPECT_EQ(to_json(s, model_q(true), model_outcome_ballot{{none, 2, none, none}}),
            json::parse(R"({"outcomes":{"stakeholder":"refer"}})"));
}

TEST_F(BallotTest, MismatchedBallotHasNoWireForm) {
  EXPECT_TRUE(to_json(s, scale_q(), choice_ballot{{0}}).is_null());
  EXPECT_TRUE(to_json(s, choice_q(), choice_ballot{{7}}).is_null());
  EXPECT_TRUE(to_json(s, text_q(), scale_ballot{1}).is_null());
}

// Random valid ballots of every type survive to_json -> parse_ballot unchanged, and
// parse_ballot -> to_json is a fixed point.
TEST_F(BallotTest, PropertyRoundTrip) {
  std::mt19937 rng(20240611);
  const auto pick = [&rng](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
  for (int iteration = 0; iteration < 500; ++iteration) {
    // choice, with a random max_choices
    {
      const question q = choice_q(static_cast<int>(1 + pick(3)));
      std::vector<std::size_t> all{0, 1, 2};
      std::shuffle(all.begin(), all.end(), rng);
      choice_ballot c;
      c.chosen.assign(all.begin(), all.begin() + static_cast<long>(1 + pick(static_cast<std::size_t>(q.max_choices))));
      std::sort(c.chosen.begin(), c.chosen.end());
      const ballot b = c;
      const json wire = to_json(s, q, b);
      EXPECT_EQ(ok(q, wire), b) << wire.dump();
    }
    // scale
    {
      const int min = static_cast<int>(pick(21)) - 10;
      const question q = scale_q(min, min + 1 + static_cast<int>(pick(10)));
      const ballot b = scale_ballot{q.min + static_cast<int>(pick(static_cast<std::size_t>(q.max - q.min + 1)))};
      EXPECT_EQ(ok(q, to_json(s, q, b)), b);
    }
    // points
    {
      const question q = points_q(static_cast<int>(1 + pick(100)));
      points_ballot p;
      p.points.assign(q.options.size(), 0);
      for (int k = 0; k < q.budget; ++k) ++p.points[pick(q.options.size())];
      const ballot b = p;
      const json wire = to_json(s, q, b);
      EXPECT_EQ(ok(q, wire), b) << wire.dump();
      // Omitting the zeros is the same ballot.
      json sparse = json::object();
      for (auto& [id, n] : wire["points"].items())
        if (n.get<int>() != 0) sparse[id] = n;
      EXPECT_EQ(ok(q, json{{"points", sparse}}), b);
    }
    // rank
    {
      const question q = rank_q();
      rank_ballot r{{0, 1, 2, 3}};
      std::shuffle(r.order.begin(), r.order.end(), rng);
      const ballot b = r;
      EXPECT_EQ(ok(q, to_json(s, q, b)), b);
    }
    // model_outcome, all models and assigned
    {
      model_outcome_ballot m;
      for (std::size_t i = 0; i < s.models.size(); ++i) m.outcomes.push_back(pick(s.outcomes.size()));
      const ballot b = m;
      EXPECT_EQ(ok(model_q(), to_json(s, model_q(), b)), b);

      const std::size_t assigned = pick(s.models.size());
      model_outcome_ballot one;
      one.outcomes.assign(s.models.size(), std::nullopt);
      one.outcomes[assigned] = pick(s.outcomes.size());
      const ballot ob = one;
      EXPECT_EQ(ok(model_q(true), to_json(s, model_q(true), ob), assigned), ob);
    }
  }
}

// Random JSON thrown at every question type never throws and never yields a ballot
// whose canonical form fails to parse again.
TEST_F(BallotTest, PropertyRandomJsonNeverThrows) {
  std::mt19937 rng(7);
  const std::vector<json> atoms{
      nullptr,       true, 0,       -1,         3,        10,        2147483648LL,  1.5,
      3.0,           "",   "refer", "autonomy", "virtue", "decline", "stakeholder", json::array(),
      json::object()};
  const std::vector<std::string> keys{"choice",   "choices", "value",  "points",      "order", "outcomes",
                                      "autonomy", "justice", "virtue", "stakeholder", "x"};
  const auto pick = [&rng](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
  std::function<json(int)> random_json = [&](int depth) -> json {
    const std::size_t kind = depth > 2 ? 0 : pick(3);
    if (kind == 0) return atoms[pick(atoms.size())];
    if (kind == 1) {
      json a = json::array();
      for (std::size_t i = pick(5); i > 0; --i) a.push_back(random_json(depth + 1));
      return a;
    }
    json o = json::object();
    for (std::size_t i = pick(5); i > 0; --i) o[keys[pick(keys.size())]] = random_json(depth + 1);
    return o;
  };
  const std::vector<question> questions{choice_q(), choice_q(2), scale_q(),     points_q(),
                                        rank_q(),   model_q(),   model_q(true), text_q()};
  for (int iteration = 0; iteration < 2000; ++iteration) {
    const json b = random_json(0);
    for (const question& q : questions) {
      const std::optional<std::size_t> assigned = q.assign ? std::optional<std::size_t>{1} : std::nullopt;
      result<ballot> r = ballot{choice_ballot{}};
      ASSERT_NO_THROW(r = parse_ballot(s, q, b, assigned)) << b.dump();
      if (r.ok()) {
        EXPECT_EQ(ok(q, to_json(s, q, r.value()), assigned), r.value()) << b.dump();
      } else {
        EXPECT_EQ(r.err().code, error_code::invalid_ballot);
        EXPECT_FALSE(r.err().message.empty());
      }
    }
  }
}

}  // namespace
}  // namespace roundtable
