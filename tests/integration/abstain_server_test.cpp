// "Not sure / pass" and withdrawing an answer, against a real server (issue 11 item 3): the wire shapes,
// the counts and tallies each role receives, resends, every bad input, and a restart's replay.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "served_session.hpp"

using namespace roundtable::test;

namespace {

struct passes : served_session {
  std::vector<std::shared_ptr<ws_client>> people;

  explicit passes(int min_group = 3) : served_session({.min_group = min_group, .scenario = "passes"}) {}

  void join_all(int n) {
    for (int i = 0; i < n; ++i) people.push_back(join(i));
  }
  json send(int i, json msg, const std::string& id = "") {
    if (!id.empty()) msg["id"] = id;
    return people[i]->request(std::move(msg));
  }
  json vote(int i, json ballot, const std::string& id = "", const std::string& q = "gut") {
    return send(i, {{"type", "vote"}, {"question", q}, {"ballot", std::move(ballot)}}, id);
  }
  json withdraw(int i, const std::string& id = "", const std::string& q = "gut") {
    return send(i, {{"type", "withdraw"}, {"question", q}}, id);
  }
  /// The final results of gut's round 1 as the console receives them on close.
  json close_gut() {
    const auto from = console->count();
    command({{"type", "close"}, {"question", "gut"}});
    const auto r = console->wait_push("results", "gut", 5s, from);
    EXPECT_TRUE(r);
    return r ? *r : json();
  }
};

}  // namespace

TEST(AbstainServer, APassIsCountedApartAndShownToEveryoneAfterReveal) {
  passes w;
  w.join_all(4);
  auto projector = ws_client::connect(w.server->port());
  const auto watched = projector->request({{"type", "watch"}, {"code", w.code}});
  // The question view says a pass is offered.
  w.command({{"type", "goto"}, {"stage", "gut"}});
  const auto stage = w.people[0]->wait_push("stage");
  ASSERT_TRUE(stage);
  EXPECT_EQ((*stage)["stage"]["question"]["abstain"], true);
  w.command({{"type", "open"}, {"question", "gut"}});
  EXPECT_EQ(w.vote(0, {{"choice", "refer"}})["type"], "ack");
  EXPECT_EQ(w.vote(1, {{"choice", "refer"}})["type"], "ack");
  EXPECT_EQ(w.vote(2, {{"choice", "decline"}})["type"], "ack");
  EXPECT_EQ(w.vote(3, {{"abstain", true}}, "p3")["type"], "ack");
  EXPECT_TRUE(w.people[0]->wait_for([](const json& m) { return m["type"] == "progress" && m["ballots"] == 4; }));
  const json r = w.close_gut();
  EXPECT_EQ(r["ballots"], 4);
  EXPECT_EQ(r["tally"]["counts"], (json{{"decline", 1}, {"conditions", 0}, {"refer", 2}}));
  EXPECT_EQ(r["tally"]["abstained"], 1);
  w.command({{"type", "reveal"}, {"question", "gut"}});
  const auto seen = projector->wait_for([](const json& m) { return m["type"] == "results" && m.contains("tally"); });
  ASSERT_TRUE(seen);
  EXPECT_EQ((*seen)["tally"]["abstained"], 1);
  // The pass is the participant's answer: it comes back after a reconnect.
  json again;
  w.join(3, &again);
  EXPECT_EQ(again["session"]["mine"]["gut"], (json{{"abstain", true}}));
  EXPECT_EQ(watched["type"], "joined");
}

TEST(AbstainServer, PassesDoNotReachMinGroupForTheTally) {
  passes w;
  w.join_all(5);
  w.command({{"type", "open"}, {"question", "sure"}});
  w.vote(0, {{"value", 2}}, "", "sure");
  w.vote(1, {{"value", 4}}, "", "sure");
  for (int i = 2; i < 5; ++i) EXPECT_EQ(w.vote(i, {{"abstain", true}}, "", "sure")["type"], "ack");
  const auto from = w.console->count();
  w.command({{"type", "close"}, {"question", "sure"}});
  const auto r = w.console->wait_push("results", "sure", 5s, from);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)["ballots"], 5);
  EXPECT_EQ((*r)["suppressed"], true);
  EXPECT_FALSE(r->contains("tally"));
  // Not in the export either.
  const json exported = w.export_json();
  for (const auto& q : exported["questions"])
    if (q["id"] == "sure") {
      EXPECT_FALSE(q["rounds"][0].contains("tally")) << q.dump();
    }
}

TEST(WithdrawServer, TakesTheAnswerBackAndTheCountDrops) {
  passes w;
  w.join_all(3);
  w.command({{"type", "open"}, {"question", "gut"}});
  w.vote(0, {{"choice", "refer"}});
  w.vote(1, {{"abstain", true}});
  ASSERT_TRUE(w.console->wait_for([](const json& m) { return m["type"] == "progress" && m["ballots"] == 2; }));
  const auto from = w.console->count();
  EXPECT_EQ(w.withdraw(0, "w0"), (json{{"type", "ack"}, {"id", "w0"}}));
  EXPECT_EQ(w.withdraw(1)["type"], "ack");
  EXPECT_TRUE(
      w.console->wait_for([](const json& m) { return m["type"] == "progress" && m["ballots"] == 0; }, 5s, from));
  json joined;
  w.join(0, &joined);
  EXPECT_FALSE(joined["session"]["mine"].contains("gut")) << joined["session"]["mine"].dump();
  // Nothing left to withdraw: acked all the same.
  EXPECT_EQ(w.withdraw(2)["type"], "ack");
}

TEST(WithdrawServer, AResendNeverTakesBackANewerBallot) {
  passes w;
  w.join_all(3);
  w.command({{"type", "open"}, {"question", "gut"}});
  // A withdrawal with nothing to withdraw (acked without an event), then a vote, then the withdrawal's resend.
  EXPECT_EQ(w.withdraw(0, "w1")["type"], "ack");
  w.vote(0, {{"choice", "decline"}}, "v1");
  EXPECT_EQ(w.withdraw(0, "w1")["type"], "ack");
  // And one that withdrew a ballot, resent after a newer one.
  w.vote(1, {{"choice", "conditions"}}, "v1");
  EXPECT_EQ(w.withdraw(1, "w1")["type"], "ack");
  w.vote(1, {{"choice", "refer"}}, "v2");
  EXPECT_EQ(w.withdraw(1, "w1")["type"], "ack");
  w.vote(2, {{"choice", "refer"}});
  const json r = w.close_gut();
  EXPECT_EQ(r["ballots"], 3);
  EXPECT_EQ(r["tally"]["counts"], (json{{"decline", 1}, {"conditions", 0}, {"refer", 2}}));
}

TEST(WithdrawServer, EveryBadInputGetsItsErrorAndNothingChanges) {
  passes w;
  w.join_all(2);
  const auto code = [](const json& reply) { return reply.value("code", std::string(reply["type"])); };
  EXPECT_EQ(code(w.withdraw(0, "x1")), "voting_closed");  // never opened
  w.command({{"type", "open"}, {"question", "gut"}});
  w.vote(0, {{"choice", "refer"}});
  const auto missing = w.send(0, {{"type", "withdraw"}}, "x2");
  EXPECT_EQ(code(missing), "bad_message");
  EXPECT_EQ(missing["id"], "x2");
  EXPECT_EQ(code(w.send(0, {{"type", "withdraw"}, {"question", 7}})), "bad_message");
  EXPECT_EQ(code(w.withdraw(0, "", "nope")), "unknown_question");
  EXPECT_EQ(code(w.withdraw(0, "", "voices")), "invalid_ballot");
  EXPECT_EQ(code(w.vote(1, {{"abstain", false}})), "invalid_ballot");
  EXPECT_EQ(code(w.vote(1, {{"abstain", true}, {"choice", "refer"}})), "invalid_ballot");
  // A console or a projector may not withdraw, and a connection without a role has not joined.
  const auto console_reply = w.console->request({{"type", "withdraw"}, {"question", "gut"}});
  EXPECT_EQ(code(console_reply), "unauthorized");
  auto stranger = ws_client::connect(w.server->port());
  EXPECT_EQ(code(stranger->request({{"type", "withdraw"}, {"question", "gut"}})), "not_joined");
  // The ballot is still there, and every connection still works.
  EXPECT_EQ(w.vote(1, {{"choice", "decline"}})["type"], "ack");
  EXPECT_EQ(w.vote(0, {{"choice", "refer"}})["type"], "ack");  // unchanged: acked
  w.command({{"type", "close"}, {"question", "gut"}});
  EXPECT_EQ(code(w.withdraw(0)), "voting_closed");
  json joined;
  w.join(0, &joined);
  EXPECT_EQ(joined["session"]["mine"]["gut"], (json{{"choice", "refer"}}));
}

TEST(WithdrawServer, ARestartReplaysWithdrawalsAndPasses) {
  passes w;
  w.join_all(4);
  w.command({{"type", "open"}, {"question", "gut"}});
  for (int i = 0; i < 3; ++i) w.vote(i, {{"choice", "refer"}});
  w.vote(3, {{"abstain", true}});
  EXPECT_EQ(w.withdraw(2, "w2")["type"], "ack");
  const auto opts = w.server->opts();
  EXPECT_EQ(w.server->terminate(), 0);
  w.server = std::make_unique<server_process>(opts);
  auto console = ws_client::connect(w.server->port());
  ASSERT_EQ(console->request({{"type", "host"}, {"key", test_key}})["type"], "hosting");
  auto p2 = ws_client::connect(w.server->port());
  const auto joined = p2->request({{"type", "join"}, {"code", w.code}, {"token", token(2)}});
  EXPECT_FALSE(joined["session"]["mine"].contains("gut")) << joined.dump();
  auto p3 = ws_client::connect(w.server->port());
  const auto joined3 = p3->request({{"type", "join"}, {"code", w.code}, {"token", token(3)}});
  EXPECT_EQ(joined3["session"]["mine"]["gut"], (json{{"abstain", true}}));
  // The withdrawal's resend after the restart: acked, nothing more withdrawn.
  EXPECT_EQ(p2->request({{"type", "withdraw"}, {"id", "w2"}, {"question", "gut"}})["type"], "ack");
  const auto from = console->count();
  EXPECT_EQ(console->request({{"type", "close"}, {"code", w.code}, {"question", "gut"}})["type"], "ack");
  const auto r = console->wait_push("results", "gut", 5s, from);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)["ballots"], 3);
  EXPECT_EQ((*r)["suppressed"], true);  // two on the options, one pass: below min_group
}
