// Lenses against a real server (issue 11 item 2): the deal over the participants connected when the round opens,
// the start and open options, a late joiner, a restart that deals nothing anew, and every bad lens count refused.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "served_session.hpp"

using namespace roundtable::test;

namespace {

// A session of the demo case on its assigned question ("lens"), with participants joined by number.
struct lens_room : served_session {
  std::map<int, std::shared_ptr<ws_client>> people;

  explicit lens_room(json start = json::object()) : served_session({.start = std::move(start)}) {}

  void join_all(int n) {
    for (int i = 0; i < n; ++i) people[i] = join(i);
  }
  /// Waits until the console counts n participants connected.
  void wait_present(std::size_t n) {
    ASSERT_TRUE(console->wait_for([n](const json& m) { return m["type"] == "presence" && m["participants"] == n; }))
        << "presence never reached " << n;
  }
  /// The lens each connected participant's newest stage push names.
  std::map<int, std::string> lenses_pushed(std::size_t from_each = 0) {
    std::map<int, std::string> out;
    for (auto& [i, p] : people) {
      const auto st = p->wait_for([](const json& m) { return m["type"] == "stage" && m["stage"]["status"] == "open"; },
                                  5s, from_each);
      EXPECT_TRUE(st) << "participant " << i << " got no stage with the round open";
      if (st && (*st)["stage"].contains("assigned_model")) out[i] = (*st)["stage"]["assigned_model"];
    }
    return out;
  }
  json vote(int i, const std::string& model) {
    return people[i]->request({{"type", "vote"}, {"question", "lens"}, {"ballot", {{"outcomes", {{model, "refer"}}}}}});
  }
};

std::map<std::string, int> held(const std::map<int, std::string>& lenses) {
  std::map<std::string, int> out;
  for (const auto& [i, m] : lenses) ++out[m];
  return out;
}

}  // namespace

TEST(LensesServer, TwoLensesAreDealtOverThoseConnectedWhenTheRoundOpens) {
  lens_room w(json{{"lenses", 2}});
  w.join_all(7);
  w.wait_present(7);
  w.people[1]->close();
  w.people[4]->close();
  w.people.erase(1);
  w.people.erase(4);
  w.wait_present(5);
  w.command({{"type", "goto"}, {"stage", "lens"}});
  w.command({{"type", "open"}, {"question", "lens"}});
  const auto lenses = w.lenses_pushed();
  ASSERT_EQ(lenses.size(), 5u);
  EXPECT_EQ(held(lenses), (std::map<std::string, int>{{"guidelines", 3}, {"stakeholder", 2}}));
  // Only one's own lens may be answered.
  for (const auto& [i, m] : lenses) {
    const std::string other = m == "guidelines" ? "stakeholder" : "guidelines";
    EXPECT_EQ(w.vote(i, other)["code"], "invalid_ballot");
    EXPECT_EQ(w.vote(i, m)["type"], "ack");
  }
  // One who was away comes back: dealt the lens with fewest holders, and it is kept across reconnects.
  json back;
  w.people[1] = w.join(1, &back);
  EXPECT_EQ(back["session"]["stage"]["assigned_model"], "stakeholder") << back.dump();
  EXPECT_EQ(w.vote(1, "stakeholder")["type"], "ack");
  json again;
  auto twice = w.join(1, &again);
  EXPECT_EQ(again["session"]["stage"]["assigned_model"], "stakeholder");
  // The console's view says what the round dealt.
  const auto attached = w.console->request({{"type", "attach"}, {"code", w.code}});
  EXPECT_EQ(attached["session"]["questions"]["lens"]["lenses"], 2);
  EXPECT_EQ(attached["session"]["lenses"], 2);

  // A restart replays the deal: everyone keeps their lens, nobody is dealt anew.
  const auto opts = w.server->opts();
  EXPECT_EQ(w.server->terminate(), 0);
  w.server = std::make_unique<server_process>(opts);
  std::map<int, std::string> after;
  std::vector<std::shared_ptr<ws_client>> rejoined;
  for (const auto& [i, m] : lenses) {
    auto p = ws_client::connect(w.server->port());
    const auto j = p->request({{"type", "join"}, {"code", w.code}, {"token", token(i)}});
    after[i] = j["session"]["stage"]["assigned_model"];
    rejoined.push_back(p);
  }
  EXPECT_EQ(after, lenses);
}

TEST(LensesServer, OpenChoosesThisRoundsLensesAndZeroLetsEveryoneTakeEveryLens) {
  lens_room w;
  w.join_all(3);
  w.wait_present(3);
  w.command({{"type", "goto"}, {"stage", "lens"}});
  w.command({{"type", "open"}, {"question", "lens"}, {"lenses", 0}});
  for (auto& [i, p] : w.people) {
    const auto st = p->wait_for([](const json& m) { return m["type"] == "stage" && m["stage"]["status"] == "open"; });
    ASSERT_TRUE(st);
    EXPECT_FALSE((*st)["stage"].contains("assigned_model")) << st->dump();
  }
  EXPECT_EQ(w.vote(0, "virtue")["code"], "invalid_ballot") << "every model must be answered";
  const json all = {{"guidelines", "refer"}, {"stakeholder", "decline"}, {"utilitarian", "refer"}, {"virtue", "refer"}};
  for (auto& [i, p] : w.people)
    EXPECT_EQ(p->request({{"type", "vote"}, {"question", "lens"}, {"ballot", {{"outcomes", all}}}})["type"], "ack");
  const auto from = w.console->count();
  w.command({{"type", "close"}, {"question", "lens"}});
  const auto r = w.console->wait_push("results", "lens", 5s, from);
  ASSERT_TRUE(r);
  // Three ballots, every row counts all three: the whole grid shows.
  EXPECT_EQ((*r)["tally"]["matrix"].size(), 4u) << r->dump();
  EXPECT_EQ((*r)["tally"]["matrix"]["stakeholder"]["decline"], 3);
}

TEST(LensesServer, BadLensCountsGetAClearErrorAndChangeNothing) {
  lens_room w;
  w.join_all(3);
  const auto start = [&](json lenses) {
    return w.console->request({{"type", "start"}, {"scenario", "demo"}, {"options", {{"lenses", std::move(lenses)}}}});
  };
  for (const json& bad : {json(5), json(-1), json("two"), json(2.5), json(true)}) {
    const auto r = start(bad);
    EXPECT_EQ(r["type"], "error") << bad.dump();
    EXPECT_EQ(r["code"], "bad_message") << r.dump();
  }
  EXPECT_NE(start(5)["message"].get<std::string>().find("options.lenses must be from 0 to 4"), std::string::npos);
  const auto open = [&](const std::string& q, json lenses) {
    return w.console->request({{"type", "open"}, {"code", w.code}, {"question", q}, {"lenses", std::move(lenses)}});
  };
  EXPECT_EQ(open("gut", 2)["code"], "bad_message") << "a choice question deals no lenses";
  EXPECT_EQ(open("models", 2)["code"], "bad_message") << "an unassigned grid deals no lenses";
  EXPECT_EQ(open("lens", 7)["code"], "bad_message");
  EXPECT_EQ(open("lens", "all")["code"], "bad_message");
  // Nothing opened; the same command with a fitting count works, and another count on the open round is refused.
  const auto attached = w.console->request({{"type", "attach"}, {"code", w.code}});
  EXPECT_EQ(attached["session"]["questions"]["lens"]["round"], 0);
  EXPECT_EQ(open("lens", 2)["type"], "ack");
  EXPECT_EQ(open("lens", 4)["code"], "bad_message");
  EXPECT_EQ(open("lens", 2)["type"], "ack");
  EXPECT_EQ(w.console->request({{"type", "attach"}, {"code", w.code}})["session"]["questions"]["lens"]["round"], 1);
}

TEST(LensesServer, AScaleReVoteCarriesItsShiftOnceEnoughAnsweredBoth) {
  lens_room w;
  w.join_all(3);
  const auto round = [&](std::vector<int> values) {
    w.command({{"type", "open"}, {"question", "sure"}});
    for (int i = 0; i < 3; ++i)
      EXPECT_EQ(
          w.people[i]->request({{"type", "vote"}, {"question", "sure"}, {"ballot", {{"value", values[i]}}}})["type"],
          "ack");
    const auto from = w.console->count();
    w.command({{"type", "close"}, {"question", "sure"}});
    const auto r = w.console->wait_push("results", "sure", 5s, from);
    EXPECT_TRUE(r);
    return r ? (*r)["tally"] : json();
  };
  EXPECT_FALSE(round({1, 2, 3}).contains("shift"));
  const auto t = round({2, 2, 3});
  EXPECT_EQ(t["shift"], json::parse(R"({"compared":3,"changed":1,"up":1,"down":0,"mean_delta":0.3333333333333333,
      "transitions":{"1":{"2":1},"2":{"2":1},"3":{"3":1}}})"));
}
