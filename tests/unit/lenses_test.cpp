// Lenses (issue 11 item 2): the deal over the participants present when a round opens, its counts, late joiners,
// and a replay that deals exactly as the live session did.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "roundtable/lenses.hpp"
#include "roundtable/session.hpp"

namespace roundtable {
namespace {

using nlohmann::json;

// ---------------------------------------------------------------- the pure deal

std::vector<std::size_t> sizes(const lens_deal& d) {
  std::vector<std::size_t> out;
  for (const auto& h : d.holders) out.push_back(h.size());
  return out;
}

lens_preference join_order(int lenses) {
  return [lenses](voter_id v) { return std::optional<std::size_t>(v % static_cast<voter_id>(lenses)); };
}

TEST(Deal, BalancesThePresentOverTheLenses) {
  EXPECT_EQ(sizes(deal_lenses({0, 1, 2, 3, 4}, 2, join_order(2))), (std::vector<std::size_t>{3, 2}));
  EXPECT_EQ(sizes(deal_lenses({0, 1, 2, 3, 4}, 4, join_order(4))), (std::vector<std::size_t>{2, 1, 1, 1}));
  EXPECT_EQ(sizes(deal_lenses({}, 4, join_order(4))), (std::vector<std::size_t>{0, 0, 0, 0}));
  // Everyone takes every lens: nothing is dealt.
  EXPECT_TRUE(deal_lenses({0, 1, 2}, 0, join_order(1)).holders.empty());
}

TEST(Deal, OnlyThePresentAreDealtAndTheAbsentLeaveNoHole) {
  // Voters 1 and 3 joined but are gone: by join order lens 1 would be empty; the deal rebalances.
  const auto d = deal_lenses({0, 2, 4, 5}, 2, join_order(2));
  EXPECT_EQ(d.holders, (std::vector<std::vector<voter_id>>{{0, 2}, {4, 5}}));
}

TEST(Deal, KeepsEveryPreferenceThatBalanceAllows) {
  // Everyone present prefers the lens they had; only the surplus moves, the lowest voter numbers staying.
  const auto keep = [](voter_id v) { return std::optional<std::size_t>(v < 4 ? 0 : 1); };
  const auto d = deal_lenses({0, 1, 2, 3, 4, 5}, 2, keep);
  EXPECT_EQ(d.holders, (std::vector<std::vector<voter_id>>{{0, 1, 2}, {3, 4, 5}}));
  // A preference past the lenses dealt counts as none.
  const auto past = [](voter_id) { return std::optional<std::size_t>(3); };
  EXPECT_EQ(sizes(deal_lenses({7, 8, 9}, 2, past)), (std::vector<std::size_t>{2, 1}));
}

TEST(Deal, ANewcomerTakesTheLensWithFewestHoldersAndKeepsTheirOwnOnATie) {
  lens_deal d{2, {{0, 2}, {1}}};
  EXPECT_EQ(late_lens(d, 0), 1u);  // lens 1 has fewer
  d.holders[1].push_back(3);
  EXPECT_EQ(late_lens(d, 1), 1u);             // a tie: their own
  EXPECT_EQ(late_lens(d, std::nullopt), 0u);  // a tie without one: the lowest
}

TEST(Deal, TheCountMustFitTheCase) {
  scenario s;
  s.models = {{"a", "A", "p"}, {"b", "B", "p"}};
  EXPECT_TRUE(check_lenses(s, 0, "lenses").ok());
  EXPECT_TRUE(check_lenses(s, 2, "lenses").ok());
  const auto bad = check_lenses(s, 3, "options.lenses");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.err().code, error_code::bad_message);
  EXPECT_NE(bad.err().message.find("options.lenses must be from 0 to 2"), std::string::npos) << bad.err().message;
  EXPECT_FALSE(check_lenses(s, -1, "lenses").ok());
}

// ---------------------------------------------------------------- in a session

scenario jigsaw() {
  json j = {{"format", 1},
            {"id", "jigsaw"},
            {"title", "Jigsaw"},
            {"summary", "Four lenses."},
            {"case", {"A case."}},
            {"models",
             {{{"id", "guidelines"}, {"name", "G"}, {"prompt", "?"}},
              {{"id", "stakeholder"}, {"name", "S"}, {"prompt", "?"}},
              {{"id", "utilitarian"}, {"name", "U"}, {"prompt", "?"}},
              {{"id", "virtue"}, {"name", "V"}, {"prompt", "?"}}}},
            {"outcomes", {{{"id", "decline"}, {"label", "Decline"}}, {{"id", "refer"}, {"label", "Refer"}}}},
            {"stages",
             {{{"id", "case"}, {"kind", "case"}, {"title", "Case"}},
              {{"id", "models"},
               {"kind", "question"},
               {"title", "Lenses"},
               {"question", {{"type", "model_outcome"}, {"prompt", "Your lens?"}, {"assign", true}}}},
              {{"id", "gut"},
               {"kind", "question"},
               {"title", "Gut"},
               {"question", {{"type", "choice"}, {"prompt", "?"}, {"options", "outcomes"}}}}}}};
  auto parsed = parse_scenario(j.dump(), "jigsaw.json");
  EXPECT_TRUE(parsed.errors.empty());
  return *parsed.value;
}

std::string key(int i) {
  return "voter-" + std::to_string(i);
}

// A session that decides and applies like the server, keeping its log and who is connected.
class Lenses : public ::testing::Test {
protected:
  session s{make_started("123456", jigsaw(), 3, start_options(std::nullopt), 1000)};
  std::vector<events::event> log{
      events::started{make_started("123456", jigsaw(), 3, start_options(std::nullopt), 1000)}};
  std::vector<std::string> present;

  static protocol::start start_options(std::optional<int> lenses) {
    protocol::start o{"jigsaw", std::nullopt, std::nullopt, std::nullopt, std::nullopt, lenses};
    return o;
  }
  void restart_with(std::optional<int> lenses) {
    auto e = make_started("123456", jigsaw(), 3, start_options(lenses), 1000);
    s = session(e);
    log = {e};
  }
  void run(const result<std::vector<events::event>>& d) {
    ASSERT_TRUE(d.ok()) << d.err().message;
    auto applied = s.apply_all(*d);
    ASSERT_TRUE(applied.ok()) << applied.err().message;
    log.insert(log.end(), d->begin(), d->end());
  }
  void join(int i) {
    run(s.decide_join(key(i)));
    present.push_back(key(i));
  }
  void leave(int i) { present.erase(std::find(present.begin(), present.end(), key(i))); }
  result<std::vector<events::event>> open(std::optional<int> lenses = std::nullopt) {
    return s.decide_open({"123456", "models", std::nullopt, lenses}, 2000, present);
  }
  // How many present participants hold each model in the question on the stage.
  std::map<std::string, int> held() const {
    std::map<std::string, int> out;
    for (const auto& k : present)
      if (const auto m = s.assigned_model(k)) ++out[s.scenario_copy().models[*m].id];
    return out;
  }
  void vote_own_lens(int i) {
    const auto m = s.assigned_model(key(i), "models");
    ASSERT_TRUE(m.has_value());
    run(s.decide_vote(key(i), {"models", {{"outcomes", {{s.scenario_copy().models[*m].id, "refer"}}}}}, ""));
  }
};

TEST_F(Lenses, TheDealIsOverThoseConnectedWhenTheRoundOpens) {
  for (int i = 0; i < 8; ++i) join(i);
  for (int i : {1, 3, 5}) leave(i);  // three went home before the round opened
  run(s.decide_goto(std::string("models")));
  const auto d = open(2);
  ASSERT_TRUE(d.ok());
  const auto& opened = std::get<events::round_opened>(d->front());
  ASSERT_TRUE(opened.deal.has_value());
  EXPECT_EQ(opened.deal->lenses, 2);
  // Five present over two lenses: 3 and 2, and nobody absent is dealt a lens.
  EXPECT_EQ(opened.deal->holders[0].size() + opened.deal->holders[1].size(), 5u);
  for (const auto& h : opened.deal->holders)
    for (const auto v : h) EXPECT_TRUE(v != 1 && v != 3 && v != 5) << v;
  run(d);
  EXPECT_EQ(held(), (std::map<std::string, int>{{"guidelines", 3}, {"stakeholder", 2}}));
}

TEST_F(Lenses, TheDefaultDealsEveryModelAndAStartOptionChangesIt) {
  for (int i = 0; i < 5; ++i) join(i);
  run(s.decide_goto(std::string("models")));
  run(open());
  EXPECT_EQ(held(),
            (std::map<std::string, int>{{"guidelines", 2}, {"stakeholder", 1}, {"utilitarian", 1}, {"virtue", 1}}));
  restart_with(2);
  present.clear();
  for (int i = 0; i < 5; ++i) join(i);
  run(s.decide_goto(std::string("models")));
  run(open());
  EXPECT_EQ(held(), (std::map<std::string, int>{{"guidelines", 3}, {"stakeholder", 2}}));
}

TEST_F(Lenses, EveryoneTakesEveryLensWithZero) {
  for (int i = 0; i < 3; ++i) join(i);
  run(s.decide_goto(std::string("models")));
  run(open(0));
  EXPECT_FALSE(s.assigned_model(key(0)).has_value());
  EXPECT_FALSE(s.stage_message(role::participant, s.assigned_model(key(0)), 0)["stage"].contains("assigned_model"));
  // A ballot must answer every model; one model alone is refused.
  const auto one = s.decide_vote(key(0), {"models", {{"outcomes", {{"guidelines", "refer"}}}}}, "");
  EXPECT_EQ(one.err().code, error_code::invalid_ballot);
  const json all = {{"guidelines", "refer"}, {"stakeholder", "refer"}, {"utilitarian", "decline"}, {"virtue", "refer"}};
  for (int i = 0; i < 3; ++i) run(s.decide_vote(key(i), {"models", {{"outcomes", all}}}, ""));
  run(s.decide_close("models"));
  // Three ballots show every row: each row counts all three.
  const auto r = *s.results_message(role::facilitator, "models");
  EXPECT_EQ(r["tally"]["matrix"].size(), 4u) << r.dump();
  EXPECT_EQ(r["tally"]["matrix"]["utilitarian"]["decline"], 3);
}

TEST_F(Lenses, ALateJoinerIsDealtTheLensWithFewestHoldersAndItIsStored) {
  for (int i = 0; i < 3; ++i) join(i);
  run(s.decide_goto(std::string("models")));
  run(open(2));  // 2 and 1
  const auto decided = s.decide_join(key(3));
  ASSERT_EQ(decided.size(), 2u);
  ASSERT_TRUE(std::holds_alternative<events::lens_dealt>(decided[1]));
  EXPECT_EQ(std::get<events::lens_dealt>(decided[1]).model, 1u);
  run(decided);
  present.push_back(key(3));
  EXPECT_EQ(held(), (std::map<std::string, int>{{"guidelines", 2}, {"stakeholder", 2}}));
  // A reconnect keeps it, and deals nothing again.
  EXPECT_TRUE(s.decide_join(key(3)).empty());
  EXPECT_EQ(*s.assigned_model(key(3)), 1u);
}

TEST_F(Lenses, SomeoneAbsentAtTheOpenWhoVotesIsDealtWithTheBallot) {
  for (int i = 0; i < 4; ++i) join(i);
  leave(3);
  run(s.decide_goto(std::string("models")));
  run(open(2));
  const auto m = s.assigned_model(key(3));  // what their page shows: the lens they will get
  ASSERT_TRUE(m.has_value());
  const auto d = s.decide_vote(key(3), {"models", {{"outcomes", {{s.scenario_copy().models[*m].id, "refer"}}}}}, "");
  ASSERT_TRUE(d.ok()) << d.err().message;
  ASSERT_EQ(d->size(), 2u);
  EXPECT_EQ(std::get<events::lens_dealt>(d->front()).model, *m);
  run(d);
}

TEST_F(Lenses, ARevoteKeepsEachLensOfThoseStillPresent) {
  for (int i = 0; i < 6; ++i) join(i);
  run(s.decide_goto(std::string("models")));
  run(open(2));
  std::map<int, std::size_t> first;
  for (int i = 0; i < 6; ++i) first[i] = *s.assigned_model(key(i));
  run(s.decide_close("models"));
  leave(0);
  run(open(2));
  for (int i = 1; i < 6; ++i) EXPECT_EQ(*s.assigned_model(key(i)), first[i]) << i;
}

TEST_F(Lenses, ReplayDealsExactlyAsTheLiveSessionDid) {
  for (int i = 0; i < 7; ++i) join(i);
  leave(2);
  run(s.decide_goto(std::string("models")));
  run(open(2));
  run(s.decide_join(key(7)));  // late
  for (int i : {0, 1, 3, 4, 5, 6, 7}) vote_own_lens(i);
  run(s.decide_close("models"));
  auto replayed = session::replay(log);
  ASSERT_TRUE(replayed.ok()) << replayed.err().message;
  for (int i = 0; i < 8; ++i) EXPECT_EQ(replayed->assigned_model(key(i), "models"), s.assigned_model(key(i), "models"));
  EXPECT_EQ(replayed->results_message(role::facilitator, "models"), s.results_message(role::facilitator, "models"));
  // The stored form reads back to the same events.
  for (const auto& e : log) {
    auto back = events::event_from_json(events::to_json(e));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(events::to_json(*back), events::to_json(e));
  }
}

TEST_F(Lenses, BadLensCountsAreRefusedAndChangeNothing) {
  for (int i = 0; i < 3; ++i) join(i);
  EXPECT_EQ(open(5).err().code, error_code::bad_message);
  EXPECT_EQ(s.decide_open({"123456", "gut", std::nullopt, 2}, 2000, present).err().code, error_code::bad_message);
  run(open(2));
  // The round's lenses are dealt once: another count on the open round is refused, the same one acked.
  const auto other = open(4);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.err().code, error_code::bad_message);
  EXPECT_EQ(other.err().message, "\"models\" is open with 2 lenses dealt; close it to deal again");
  EXPECT_TRUE(open(2)->empty());
  EXPECT_EQ(s.round("models"), 1);
}

TEST_F(Lenses, AStoredDealThatDoesNotFitIsRefused) {
  for (int i = 0; i < 3; ++i) join(i);
  const auto refused = [&](lens_deal d) {
    return !s.apply(events::round_opened{"models", std::nullopt, 0, std::move(d)}).ok();
  };
  EXPECT_TRUE(refused({5, {{}, {}, {}, {}, {}}}));  // more lenses than models
  EXPECT_TRUE(refused({2, {{0}}}));                 // a list short
  EXPECT_TRUE(refused({2, {{0, 1}, {1}}}));         // a voter twice
  EXPECT_TRUE(refused({2, {{0, 9}, {1}}}));         // nobody by that number
  EXPECT_EQ(s.round("models"), 0);
  EXPECT_TRUE(s.apply(events::round_opened{"models", std::nullopt, 0, lens_deal{2, {{0, 2}, {1}}}}).ok());
  EXPECT_FALSE(s.apply(events::lens_dealt{"models", 1, key(0), 1}).ok()) << "dealt twice";
}

}  // namespace
}  // namespace roundtable

namespace roundtable {
namespace {

TEST(StoredDeal, ReadsBackAndRefusesAMalformedOne) {
  const events::round_opened e{"models", 60, 5, lens_deal{2, {{0, 3}, {1}}}};
  const auto j = events::to_json(e);
  EXPECT_EQ(j["deal"], json::parse(R"({"lenses":2,"holders":[[0,3],[1]]})"));
  auto back = events::event_from_json(j);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(std::get<events::round_opened>(*back).deal, e.deal);
  // An older log's round_opened (no deal) reads as none.
  auto old = events::event_from_json(json::parse(R"({"type":"round_opened","question":"models","at_ms":5})"));
  ASSERT_TRUE(old.ok());
  EXPECT_FALSE(std::get<events::round_opened>(*old).deal.has_value());
  for (const char* bad : {R"({"lenses":2,"holders":[[0]]})", R"({"lenses":-1,"holders":[]})",
                          R"({"lenses":1,"holders":[[-1]]})", R"({"lenses":1,"holders":["a"]})", R"({"lenses":1})"}) {
    json k = j;
    k["deal"] = json::parse(bad);
    EXPECT_FALSE(events::event_from_json(k).ok()) << bad;
  }
  EXPECT_FALSE(
      events::event_from_json(json::parse(R"({"type":"lens_dealt","question":"q","round":1,"voter":"v","model":-2})"))
          .ok());
}

}  // namespace
}  // namespace roundtable
