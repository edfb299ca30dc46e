// Abstaining ("not sure / pass") and withdrawing an answer (issue 11 item 3): the scenario field, the
// answer's wire form, how the session counts, shows, steps and replays them.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "roundtable/answer.hpp"
#include "roundtable/protocol.hpp"
#include "roundtable/session.hpp"

using namespace roundtable;
using nlohmann::json;

namespace {

json abstain_scenario_json() {
  return {{"format", 1},
          {"id", "passes"},
          {"title", "Passes"},
          {"summary", "Questions that may be passed."},
          {"case", {"A hard case."}},
          {"stages",
           {{{"id", "gut"},
             {"kind", "question"},
             {"title", "Gut"},
             {"question",
              {{"type", "choice"},
               {"prompt", "What would you do?"},
               {"abstain", true},
               {"options", {{{"id", "yes"}, {"label", "Yes"}}, {{"id", "no"}, {"label", "No"}}}}}}},
            {{"id", "sure"},
             {"kind", "question"},
             {"title", "Sure"},
             {"question", {{"type", "scale"}, {"prompt", "How sure?"}, {"min", 1}, {"max", 5}}}},
            {{"id", "voices"},
             {"kind", "question"},
             {"title", "Voices"},
             {"question", {{"type", "text"}, {"prompt", "Why?"}}}}}}};
}

scenario abstain_scenario() {
  auto parsed = parse_scenario(abstain_scenario_json().dump(), "passes.json");
  EXPECT_TRUE(parsed.errors.empty()) << (parsed.errors.empty() ? "" : parsed.errors[0].to_string());
  return *parsed.value;
}

std::string key(int i) {
  return "voter-" + std::to_string(i);
}

// A session driven as the server drives it: decide, then apply what was decided, keeping the log.
struct room {
  session s;
  std::vector<events::event> log;
  explicit room(int min_group = 3)
      : s(make_started("123456", abstain_scenario(), min_group, protocol::start{"passes", std::nullopt, false}, 1000)) {
    log.emplace_back(make_started("123456", abstain_scenario(), min_group, {"passes", std::nullopt, false}, 1000));
  }
  std::size_t run(const result<std::vector<events::event>>& decided) {
    EXPECT_TRUE(decided.ok()) << (decided.ok() ? "" : decided.err().message);
    if (!decided) return 0;
    for (const auto& e : *decided) {
      auto applied = s.apply(e);
      EXPECT_TRUE(applied.ok()) << (applied.ok() ? "" : applied.err().message);
      log.push_back(e);
    }
    return decided->size();
  }
  void join(int n) {
    for (int i = 0; i < n; ++i) run(s.decide_join(key(i)));
  }
  std::size_t vote(int i, const std::string& q, json b, const std::string& request = "") {
    return run(s.decide_vote(key(i), {q, std::move(b)}, request));
  }
  std::size_t pass(int i, const std::string& q = "gut", const std::string& request = "") {
    return vote(i, q, {{"abstain", true}}, request);
  }
  result<std::vector<events::event>> withdraw(int i, const std::string& q = "gut", const std::string& request = "") {
    return s.decide_withdraw(key(i), protocol::withdraw{q}, request);
  }
  bool publish(const std::string& q = "gut") {
    auto e = s.decide_publish(q);
    if (e) run(std::vector<events::event>{*e});
    return e.has_value();
  }
  json results() const { return *s.results_message(role::facilitator, "gut"); }
  json mine(int i) const { return s.view(role::participant, key(i), {})["mine"]; }
};

}  // namespace

TEST(AbstainScenario, ReadsTheFieldAndShowsItOnlyWhenSet) {
  const scenario s = abstain_scenario();
  EXPECT_TRUE(s.stages[0].question->abstain);
  EXPECT_FALSE(s.stages[1].question->abstain);
  EXPECT_EQ(to_json(*s.stages[0].question, question_form::view)["abstain"], true);
  EXPECT_FALSE(to_json(*s.stages[1].question, question_form::view).contains("abstain"));
  // The file form keeps it, so the session's stored copy reads back the same.
  const auto again = parse_scenario(to_json(s).dump(), "copy.json");
  ASSERT_TRUE(again.errors.empty());
  EXPECT_TRUE(again.value->stages[0].question->abstain);
}

TEST(AbstainScenario, RefusesItOnATextQuestionAndWhenNotABoolean) {
  json j = abstain_scenario_json();
  j["stages"][2]["question"]["abstain"] = true;
  auto parsed = parse_scenario(j.dump(), "x.json");
  ASSERT_FALSE(parsed.errors.empty());
  EXPECT_EQ(parsed.errors[0].path, "stages[2].question.abstain");
  j = abstain_scenario_json();
  j["stages"][0]["question"]["abstain"] = "yes";
  parsed = parse_scenario(j.dump(), "x.json");
  ASSERT_FALSE(parsed.errors.empty());
  EXPECT_EQ(parsed.errors[0].path, "stages[0].question.abstain");
  EXPECT_EQ(parsed.errors[0].rule, "must be true or false");
}

TEST(AbstainAnswer, OnlyTheExactShapeOnAQuestionThatOffersIt) {
  const scenario s = abstain_scenario();
  const question& gut = *s.stages[0].question;
  const question& sure = *s.stages[1].question;
  auto a = parse_answer(s, gut, {{"abstain", true}});
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(std::holds_alternative<abstention>(*a));
  EXPECT_EQ(answer_json(s, gut, *a), (json{{"abstain", true}}));
  const auto refused = [&](const question& q, const json& b, const std::string& words) {
    auto r = parse_answer(s, q, b);
    ASSERT_FALSE(r.ok()) << b.dump();
    EXPECT_EQ(r.err().code, error_code::invalid_ballot);
    EXPECT_NE(r.err().message.find(words), std::string::npos) << r.err().message;
  };
  refused(sure, {{"abstain", true}}, "offers no");
  refused(gut, {{"abstain", false}}, "must be true");
  refused(gut, {{"abstain", 1}}, "must be true");
  refused(gut, {{"abstain", true}, {"choice", "yes"}}, "no other field");
  // An ordinary ballot is parsed as before.
  auto b = parse_answer(s, gut, {{"choice", "no"}});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(answer_json(s, gut, *b), (json{{"choice", "no"}}));
}

TEST(Abstain, CountedApartFromTheOptionsAndNeverInConsensus) {
  room r;
  r.join(5);
  r.run(r.s.decide_open({"123456", "gut", std::nullopt}, 2000));
  for (int i = 0; i < 3; ++i) r.vote(i, "gut", {{"choice", "yes"}});
  r.pass(3);
  r.pass(4);
  EXPECT_EQ(r.s.ballots("gut"), 5u);  // progress counts every answer
  r.run(r.s.decide_close("gut"));
  const json res = r.results();
  EXPECT_EQ(res["ballots"], 5);
  EXPECT_EQ(res["suppressed"], false);
  EXPECT_EQ(res["tally"]["counts"], (json{{"yes", 3}, {"no", 0}}));
  EXPECT_EQ(res["tally"]["consensus"], 1.0);  // everyone who chose agrees; the passes change nothing
  EXPECT_EQ(res["tally"]["abstained"], 2);
}

TEST(Abstain, BelowMinGroupBallotsOnTheOptionsTheTallyIsSuppressedWhateverThePasses) {
  room r;
  r.join(5);
  r.run(r.s.decide_open({"123456", "gut", std::nullopt}, 2000));
  r.vote(0, "gut", {{"choice", "yes"}});
  r.vote(1, "gut", {{"choice", "no"}});
  for (int i = 2; i < 5; ++i) r.pass(i);
  r.run(r.s.decide_close("gut"));
  const json res = r.results();
  EXPECT_EQ(res["ballots"], 5);
  EXPECT_EQ(res["suppressed"], true);
  EXPECT_FALSE(res.contains("tally"));
}

TEST(Abstain, MineShowsThePassAndAChangeEitherWayReplacesIt) {
  room r;
  r.join(1);
  r.run(r.s.decide_open({"123456", "gut", std::nullopt}, 2000));
  EXPECT_EQ(r.pass(0), 1u);
  EXPECT_EQ(r.mine(0)["gut"], (json{{"abstain", true}}));
  EXPECT_EQ(r.pass(0, "gut", "again"), 0u);  // the same pass with a fresh id appends nothing
  EXPECT_EQ(r.vote(0, "gut", {{"choice", "no"}}), 1u);
  EXPECT_EQ(r.mine(0)["gut"], (json{{"choice", "no"}}));
  EXPECT_EQ(r.s.ballots("gut"), 1u);
  EXPECT_EQ(r.pass(0), 1u);
  EXPECT_EQ(r.mine(0)["gut"], (json{{"abstain", true}}));
  EXPECT_EQ(r.s.ballots("gut"), 1u);
}

TEST(Abstain, AQuestionWithoutItRefusesAPass) {
  room r;
  r.join(1);
  r.run(r.s.decide_open({"123456", "sure", std::nullopt}, 2000));
  auto d = r.s.decide_vote(key(0), {"sure", {{"abstain", true}}}, "");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.err().code, error_code::invalid_ballot);
  EXPECT_EQ(r.s.ballots("sure"), 0u);
}

TEST(Withdraw, TakesTheAnswerBackWhileTheRoundIsOpen) {
  room r;
  r.join(2);
  r.run(r.s.decide_open({"123456", "gut", std::nullopt}, 2000));
  r.vote(0, "gut", {{"choice", "yes"}});
  r.pass(1);
  EXPECT_EQ(r.run(r.withdraw(0)), 1u);
  EXPECT_EQ(r.run(r.withdraw(1)), 1u);
  EXPECT_EQ(r.s.ballots("gut"), 0u);
  EXPECT_FALSE(r.mine(0).contains("gut"));
  EXPECT_FALSE(r.mine(1).contains("gut"));
  EXPECT_EQ(r.run(r.withdraw(0)), 0u);  // nothing left to withdraw: acked, nothing stored
}

TEST(Withdraw, RefusesWithTheProtocolCodes) {
  room r;
  r.join(1);
  const auto code = [&](const result<std::vector<events::event>>& d) {
    return d.ok() ? std::optional<error_code>() : d.err().code;
  };
  EXPECT_EQ(code(r.withdraw(0)), error_code::voting_closed);  // never opened
  EXPECT_EQ(code(r.withdraw(0, "nope")), error_code::unknown_question);
  EXPECT_EQ(code(r.withdraw(7)), error_code::not_joined);
  EXPECT_EQ(code(r.withdraw(0, "voices")), error_code::invalid_ballot);
  r.run(r.s.decide_open({"123456", "gut", std::nullopt}, 2000));
  r.vote(0, "gut", {{"choice", "yes"}});
  r.run(r.s.decide_close("gut"));
  EXPECT_EQ(code(r.withdraw(0)), error_code::voting_closed);
  EXPECT_EQ(r.mine(0)["gut"], (json{{"choice", "yes"}}));  // a closed round keeps its answers
  r.run(r.s.decide_end(3000));
  EXPECT_EQ(code(r.withdraw(0)), error_code::session_ended);
}

TEST(Withdraw, AResendIsAppliedOnceAndNeverTakesBackANewerBallot) {
  room r;
  r.join(1);
  r.run(r.s.decide_open({"123456", "gut", std::nullopt}, 2000));
  r.vote(0, "gut", {{"choice", "yes"}}, "v1");
  EXPECT_EQ(r.run(r.withdraw(0, "gut", "w1")), 1u);
  r.vote(0, "gut", {{"choice", "no"}}, "v2");
  EXPECT_EQ(r.run(r.withdraw(0, "gut", "w1")), 0u);  // the resend: acked, the newer ballot stays
  EXPECT_EQ(r.mine(0)["gut"], (json{{"choice", "no"}}));
  r.run(r.s.decide_close("gut"));
  EXPECT_TRUE(r.withdraw(0, "gut", "w1").ok());  // a resend after the close is still acked
}

TEST(Withdraw, PublishedTalliesMoveOnlyInStepsOfMinGroupWithdrawalsIncluded) {
  room r;
  r.join(6);
  r.run(r.s.decide_open({"123456", "gut", std::nullopt}, 2000));
  for (int i = 0; i < 3; ++i) r.vote(i, "gut", {{"choice", "yes"}});
  ASSERT_TRUE(r.publish());
  EXPECT_EQ(r.results()["tally"]["counts"]["yes"], 3);
  r.run(r.withdraw(0));
  EXPECT_FALSE(r.publish());  // one withdrawal alone would pin the change on its author
  EXPECT_EQ(r.results()["ballots"], 3);
  r.pass(3);
  EXPECT_FALSE(r.publish());
  r.vote(4, "gut", {{"choice", "no"}});
  ASSERT_TRUE(r.publish());
  const json res = r.results();
  EXPECT_EQ(res["ballots"], 4);
  EXPECT_EQ(res["tally"]["counts"], (json{{"yes", 2}, {"no", 1}}));
  EXPECT_EQ(res["tally"]["abstained"], 1);
}

TEST(Withdraw, TheLogRoundTripsAndReplaysToTheSameState) {
  room r;
  r.join(4);
  r.run(r.s.decide_open({"123456", "gut", std::nullopt}, 2000));
  for (int i = 0; i < 3; ++i) r.vote(i, "gut", {{"choice", "no"}}, "v" + std::to_string(i));
  r.pass(3, "gut", "p3");
  r.run(r.withdraw(1, "gut", "w1"));
  r.run(r.s.decide_close("gut"));
  std::vector<events::event> stored;
  for (const auto& e : r.log) {
    const json j = events::to_json(e);
    auto back = events::event_from_json(json::parse(j.dump()));
    ASSERT_TRUE(back.ok()) << j.dump();
    EXPECT_EQ(events::to_json(*back), j);
    stored.push_back(*back);
  }
  EXPECT_EQ(events::type_name(r.log[r.log.size() - 2]), "ballot_withdrawn");
  auto replayed = session::replay(stored);
  ASSERT_TRUE(replayed.ok()) << replayed.err().message;
  EXPECT_EQ(replayed->export_json(), r.s.export_json());
  EXPECT_EQ(replayed->view(role::participant, key(1), {}), r.s.view(role::participant, key(1), {}));
  EXPECT_EQ(*replayed->results_message(role::facilitator, "gut"), r.results());
  // The resend is remembered across the replay too.
  EXPECT_TRUE(replayed->decide_withdraw(key(1), {"gut"}, "w1")->empty());
}

TEST(Withdraw, ReplayRefusesAWithdrawalOfNothing) {
  room r;
  r.join(1);
  r.run(r.s.decide_open({"123456", "gut", std::nullopt}, 2000));
  auto applied = r.s.apply(events::ballot_withdrawn{"gut", 1, key(0), ""});
  EXPECT_FALSE(applied.ok());
  applied = r.s.apply(events::ballot_withdrawn{"gut", 2, key(0), ""});
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.err().code, error_code::voting_closed);
}

TEST(WithdrawMessage, ParsesAndRefusesAMissingQuestion) {
  auto p = protocol::parse(R"({"type":"withdraw","id":"w","question":"gut"})");
  ASSERT_TRUE(p.msg);
  EXPECT_EQ(std::get<protocol::withdraw>(*p.msg).question, "gut");
  EXPECT_EQ(protocol::type_name(*p.msg), "withdraw");
  p = protocol::parse(R"({"type":"withdraw","id":"w"})");
  ASSERT_TRUE(p.err);
  EXPECT_EQ(p.err->code, error_code::bad_message);
  EXPECT_EQ(p.id, "w");
}
