// The facilitator server, really started: a real SQLite file, a real port, real WebSocket clients.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "served_session.hpp"

using namespace roundtable::test;

namespace {

// The served session of these tests, with its participants and their votes.
struct workshop : served_session {
  std::vector<std::shared_ptr<ws_client>> people;
  std::map<std::pair<std::string, int>, std::size_t> closed_at;  // the console's count when a round was closed

  explicit workshop(int min_group = 3, bool live = false)
      : served_session({.min_group = min_group, .start = {{"live", live}}}) {}

  void join_all(int n) {
    for (int i = 0; i < n; ++i) people.push_back(join(i));
  }

  void vote(int i, const std::string& q, json ballot, const std::string& id = "") {
    json msg{{"type", "vote"}, {"question", q}, {"ballot", std::move(ballot)}};
    if (!id.empty()) msg["id"] = id;
    const auto reply = people[i]->request(msg);
    EXPECT_EQ(reply["type"], "ack") << q << " " << reply.dump();
  }

  /// The facilitator's final results of a question's round (pushed by close).
  json close_and_results(const std::string& q, int round) {
    const auto from = console->count();
    closed_at[{q, round}] = from;
    command({{"type", "close"}, {"question", q}});
    auto r = console->wait_for(
        [&](const json& m) {
          return m["type"] == "results" && m["question"] == q && m["round"] == round && m.contains("tally");
        },
        5s, from);
    EXPECT_TRUE(r) << "no final results for " << q;
    return r ? *r : json();
  }

  bool participant_saw_results(const std::string& q, int round) const {
    for (const auto& p : people)
      for (const auto& m : p->received())
        if (m.value("type", "") == "results" && m.value("question", "") == q && m.value("round", 0) == round)
          return true;
    return false;
  }
};

const char* outcome(int i) {
  static const char* ids[] = {"decline", "conditions", "refer"};
  return ids[i % 3];
}

}  // namespace

TEST(Server, WholeWorkshopWithTwentyParticipants) {
  workshop w(3);
  w.join_all(20);
  const auto presence =
      w.console->wait_for([](const json& m) { return m["type"] == "presence" && m["participants"] == 20; });
  EXPECT_TRUE(presence);
  EXPECT_EQ((*presence)["code"], w.code);

  // First reaction: a single choice.
  w.command({{"type", "goto"}, {"stage", "gut"}});
  EXPECT_TRUE(w.people[5]->wait_push("stage"));
  w.command({{"type", "open"}, {"question", "gut"}});
  for (int i = 0; i < 20; ++i) w.vote(i, "gut", {{"choice", outcome(i)}});
  auto gut = w.close_and_results("gut", 1);
  EXPECT_EQ(gut["ballots"], 20);
  EXPECT_EQ(gut["tally"]["counts"], (json{{"decline", 7}, {"conditions", 7}, {"refer", 6}}));
  EXPECT_FALSE(w.participant_saw_results("gut", 1)) << "results before reveal";
  const auto before_reveal = w.people[3]->count();
  w.command({{"type", "reveal"}, {"question", "gut"}});
  const auto seen = w.people[3]->wait_push("results", "gut", 5s, before_reveal);
  ASSERT_TRUE(seen);
  EXPECT_EQ((*seen)["tally"]["counts"], gut["tally"]["counts"]);
  EXPECT_NEAR((*seen)["tally"]["consensus"].get<double>(),
              1 - (-(2 * 0.35 * std::log2(0.35) + 0.3 * std::log2(0.3))) / std::log2(3), 1e-9);

  // Multi choice.
  w.command({{"type", "open"}, {"question", "feel"}});
  for (int i = 0; i < 20; ++i)
    w.vote(i, "feel", i % 2 ? json{{"choices", {"anxiety", "empowerment"}}} : json{{"choices", {"confusion"}}});
  auto feel = w.close_and_results("feel", 1);
  EXPECT_EQ(feel["tally"]["counts"], (json{{"confusion", 10}, {"anxiety", 10}, {"empowerment", 10}}));

  // Scale.
  w.command({{"type", "open"}, {"question", "sure"}});
  for (int i = 0; i < 20; ++i) w.vote(i, "sure", {{"value", 1 + i % 5}});
  auto sure = w.close_and_results("sure", 1);
  EXPECT_EQ(sure["tally"]["histogram"], (json{{"1", 4}, {"2", 4}, {"3", 4}, {"4", 4}, {"5", 4}}));
  EXPECT_DOUBLE_EQ(sure["tally"]["mean"].get<double>(), 3.0);
  EXPECT_DOUBLE_EQ(sure["tally"]["median"].get<double>(), 3.0);
  EXPECT_NEAR(sure["tally"]["stdev"].get<double>(), std::sqrt(2.0), 1e-9);

  // Points.
  w.command({{"type", "open"}, {"question", "principles"}});
  for (int i = 0; i < 20; ++i)
    w.vote(i, "principles",
           i % 2 ? json{{"points", {{"justice", 4}, {"beneficence", 6}}}} : json{{"points", {{"autonomy", 10}}}});
  auto points = w.close_and_results("principles", 1);
  EXPECT_EQ(points["tally"]["total"],
            (json{{"autonomy", 100}, {"beneficence", 60}, {"non_maleficence", 0}, {"justice", 40}}));
  EXPECT_DOUBLE_EQ(points["tally"]["mean"]["autonomy"].get<double>(), 5.0);

  // Rank.
  w.command({{"type", "open"}, {"question", "bias"}});
  for (int i = 0; i < 20; ++i)
    w.vote(i, "bias",
           {{"order", i < 10 ? json{"morals", "culture", "stereotypes"} : json{"stereotypes", "culture", "morals"}}});
  auto bias = w.close_and_results("bias", 1);
  EXPECT_EQ(bias["tally"]["borda"], (json{{"stereotypes", 20}, {"culture", 20}, {"morals", 20}}));
  EXPECT_EQ(bias["tally"]["first"], (json{{"stereotypes", 10}, {"culture", 0}, {"morals", 10}}));

  // Model x outcome, every model.
  w.command({{"type", "open"}, {"question", "models"}});
  for (int i = 0; i < 20; ++i)
    w.vote(i, "models",
           {{"outcomes",
             {{"guidelines", i < 15 ? "refer" : "decline"},
              {"stakeholder", "refer"},
              {"utilitarian", "refer"},
              {"virtue", "refer"}}}});
  auto models = w.close_and_results("models", 1);
  EXPECT_EQ(models["tally"]["matrix"]["guidelines"], (json{{"decline", 5}, {"conditions", 0}, {"refer", 15}}));
  EXPECT_EQ(models["tally"]["matrix"]["virtue"], (json{{"decline", 0}, {"conditions", 0}, {"refer", 20}}));
  EXPECT_DOUBLE_EQ(models["tally"]["consensus"]["virtue"].get<double>(), 1.0);

  // Assigned models: each participant answers the one model the server gave it, 5 per model.
  w.command({{"type", "goto"}, {"stage", "lens"}});
  w.command({{"type", "open"}, {"question", "lens"}});
  std::map<std::string, int> per_model;
  for (int i = 0; i < 20; ++i) {
    const auto view = w.people[i]->request({{"type", "join"}, {"code", w.code}, {"token", token(i)}});
    const std::string mine = view["session"]["stage"]["assigned_model"];
    per_model[mine]++;
    const std::string other = mine == "virtue" ? "guidelines" : "virtue";
    const auto wrong =
        w.people[i]->request({{"type", "vote"}, {"question", "lens"}, {"ballot", {{"outcomes", {{other, "refer"}}}}}});
    EXPECT_EQ(wrong["code"], "invalid_ballot");
    w.vote(i, "lens", {{"outcomes", {{mine, "conditions"}}}});
  }
  EXPECT_EQ(per_model,
            (std::map<std::string, int>{{"guidelines", 5}, {"stakeholder", 5}, {"utilitarian", 5}, {"virtue", 5}}));
  auto lens = w.close_and_results("lens", 1);
  for (const char* m : {"guidelines", "stakeholder", "utilitarian", "virtue"})
    EXPECT_EQ(lens["tally"]["matrix"][m]["conditions"], 5) << m;

  // Perspectives: posted, moderated, shown, endorsed.
  w.command({{"type", "goto"}, {"stage", "voices"}});
  w.command({{"type", "open"}, {"question", "voices"}});
  for (int i = 0; i < 5; ++i) {
    const auto r = w.people[i]->request(
        {{"type", "perspective"}, {"question", "voices"}, {"text", "  View " + std::to_string(i) + " "}});
    EXPECT_EQ(r["type"], "ack") << r.dump();
  }
  for (int k = 0; k < 2; ++k)
    w.people[0]->request({{"type", "perspective"}, {"question", "voices"}, {"text", "more " + std::to_string(k)}});
  const auto fourth = w.people[0]->request({{"type", "perspective"}, {"question", "voices"}, {"text", "too many"}});
  EXPECT_EQ(fourth["code"], "invalid_ballot");
  const auto all =
      w.console->wait_for([](const json& m) { return m["type"] == "perspectives" && m["items"].size() == 7; });
  ASSERT_TRUE(all);
  std::string first_id, second_id;
  for (const auto& item : (*all)["items"]) {
    EXPECT_EQ(item["shown"], false);
    EXPECT_FALSE(item.contains("author"));
    if (item["text"] == "View 1") first_id = item["id"];
    if (item["text"] == "View 2") second_id = item["id"];
  }
  ASSERT_FALSE(first_id.empty());
  const auto before_show = w.people[10]->count();
  w.command({{"type", "moderate"}, {"perspective", first_id}, {"action", "show"}});
  w.command({{"type", "moderate"}, {"perspective", second_id}, {"action", "show"}});
  const auto shown = w.people[10]->wait_for(
      [](const json& m) { return m["type"] == "perspectives" && m["items"].size() == 2; }, 5s, before_show);
  ASSERT_TRUE(shown);
  EXPECT_FALSE((*shown)["items"][0].contains("shown"));
  EXPECT_EQ(w.people[10]->request({{"type", "endorse"}, {"perspective", first_id}})["type"], "ack");
  EXPECT_EQ(w.people[10]->request({{"type", "endorse"}, {"perspective", first_id}})["type"], "ack");
  EXPECT_EQ(w.people[1]->request({{"type", "endorse"}, {"perspective", first_id}})["code"], "invalid_ballot");
  // Counts move in steps of min_group endorsers: two more make the first step.
  EXPECT_EQ(w.people[11]->request({{"type", "endorse"}, {"perspective", first_id}})["type"], "ack");
  EXPECT_EQ(w.people[12]->request({{"type", "endorse"}, {"perspective", second_id}})["type"], "ack");
  const auto endorsed = w.people[13]->wait_for([&](const json& m) {
    if (m["type"] != "perspectives") return false;
    for (const auto& it : m["items"])
      if (it["id"] == first_id && it["endorsements"] == 2) return true;
    return false;
  });
  EXPECT_TRUE(endorsed);
  w.command({{"type", "close"}, {"question", "voices"}});

  // Discussion shows what each viewer may see.
  w.command({{"type", "goto"}, {"stage", "discuss"}});
  const auto stage =
      w.people[7]->wait_for([](const json& m) { return m["type"] == "stage" && m["stage"]["id"] == "discuss"; });
  ASSERT_TRUE(stage);
  EXPECT_EQ((*stage)["stage"]["results"]["gut"]["tally"]["counts"]["refer"], 6);
  EXPECT_FALSE((*stage)["stage"]["results"].contains("models")) << "models was never revealed";
  EXPECT_EQ((*stage)["stage"]["perspectives"]["voices"].size(), 2u);

  // Re-vote: blind again, then the shift.
  w.command({{"type", "goto"}, {"stage", "gut-again"}});
  const auto hidden_from = w.people[2]->count();
  w.command({{"type", "open"}, {"question", "gut"}});
  EXPECT_TRUE(w.people[2]->wait_push("hidden", "gut", 5s, hidden_from));
  for (int i = 0; i < 20; ++i) w.vote(i, "gut", {{"choice", i < 5 ? "refer" : outcome(i)}});
  auto again = w.close_and_results("gut", 2);
  EXPECT_EQ(again["tally"]["counts"], (json{{"decline", 5}, {"conditions", 5}, {"refer", 10}}));
  EXPECT_EQ(again["tally"]["shift"]["compared"], 20);
  EXPECT_EQ(again["tally"]["shift"]["changed"], 4);
  EXPECT_EQ(again["tally"]["shift"]["transitions"], (json{{"decline", {{"decline", 5}, {"refer", 2}}},
                                                          {"conditions", {{"conditions", 5}, {"refer", 2}}},
                                                          {"refer", {{"refer", 6}}}}));
  EXPECT_FALSE(w.participant_saw_results("gut", 2)) << "round 2 was never revealed";

  // The facilitator's tallies moved only in steps of at least min_group while rounds were open. The close's
  // exact final tally (and a reveal's repeat of it) may follow the last open tally by any step, even none.
  std::map<std::pair<std::string, int>, std::vector<int>> steps;
  const auto console_seen = w.console->received();
  for (std::size_t i = 0; i < console_seen.size(); ++i) {
    const auto& m = console_seen[i];
    if (m["type"] != "results" || !m.contains("tally")) continue;
    const std::pair<std::string, int> key{m["question"], m["round"]};
    if (const auto closed = w.closed_at.find(key); closed != w.closed_at.end() && i >= closed->second) continue;
    steps[key].push_back(m["ballots"]);
  }
  EXPECT_FALSE(steps.empty()) << "no tally was pushed while a round was open";
  for (const auto& [key, counts] : steps)
    for (std::size_t k = 1; k < counts.size(); ++k)
      EXPECT_GE(counts[k] - counts[k - 1], 3) << key.first << " round " << key.second;

  // The end.
  w.command({{"type", "end"}});
  EXPECT_TRUE(w.people[0]->wait_push("ended"));
  EXPECT_EQ(w.people[0]->request({{"type", "vote"}, {"question", "gut"}, {"ballot", {{"choice", "refer"}}}})["code"],
            "session_ended");
  auto late = ws_client::connect(w.server->port());
  const auto view = late->request({{"type", "join"}, {"code", w.code}, {"token", token(99)}});
  EXPECT_EQ(view["session"]["ended"], true);
}

// A participant's last connection closing after a quiet spell is pushed at once (the leading edge of the
// presence slot): the count then must already be without them (it was not: the push counted the leaver).
TEST(Server, PresenceDropsAtOnceWhenALastConnectionCloses) {
  workshop w(3);
  w.join_all(3);
  auto twice = w.join(2);  // participant 2 on two connections
  const auto presence = [](std::size_t n) {
    return [n](const json& m) { return m["type"] == "presence" && m["participants"] == n; };
  };
  ASSERT_TRUE(w.console->wait_for(presence(3)));
  std::this_thread::sleep_for(600ms);  // quiet: the next change is pushed at once
  auto from = w.console->count();
  w.people[1]->close();
  EXPECT_TRUE(w.console->wait_for(presence(2), 5s, from)) << "the leaver is still counted";
  std::this_thread::sleep_for(600ms);
  from = w.console->count();
  w.people[2]->close();  // their other connection stays
  twice->close();
  EXPECT_TRUE(w.console->wait_for(presence(1), 5s, from));
  const auto seen = w.console->received();  // a copy: received() returns one
  for (std::size_t i = from; i < seen.size(); ++i)
    if (seen[i]["type"] == "presence") EXPECT_NE(seen[i]["participants"], 0) << "participant 0 never left";
}

TEST(Server, ReconnectRestoresMineAndResentIdsApplyOnce) {
  workshop w(3);
  w.join_all(3);
  w.command({{"type", "open"}, {"question", "gut"}});
  w.vote(0, "gut", {{"choice", "refer"}}, "r1");
  w.vote(1, "gut", {{"choice", "decline"}}, "r1");
  w.people[0]->close();
  json joined;
  auto again = w.join(0, &joined);
  EXPECT_EQ(joined["session"]["mine"]["gut"], (json{{"choice", "refer"}}));
  // The same request once more (as after a reconnect): acked, applied once.
  auto resent =
      again->request({{"type", "vote"}, {"id", "r1"}, {"question", "gut"}, {"ballot", {{"choice", "refer"}}}});
  EXPECT_EQ(resent["type"], "ack");
  // A newer ballot, then the stale resend: the newer one stays.
  again->request({{"type", "vote"}, {"id", "r2"}, {"question", "gut"}, {"ballot", {{"choice", "conditions"}}}});
  again->request({{"type", "vote"}, {"id", "r1"}, {"question", "gut"}, {"ballot", {{"choice", "refer"}}}});
  w.vote(2, "gut", {{"choice", "decline"}});
  auto r = w.close_and_results("gut", 1);
  EXPECT_EQ(r["ballots"], 3);
  EXPECT_EQ(r["tally"]["counts"], (json{{"decline", 2}, {"conditions", 1}, {"refer", 0}}));
}

TEST(Server, SuppressedBelowMinGroupForEveryone) {
  workshop w(4, /*live=*/true);
  w.join_all(3);
  w.command({{"type", "open"}, {"question", "gut"}});
  for (int i = 0; i < 3; ++i) w.vote(i, "gut", {{"choice", "refer"}});
  const auto from = w.console->count();
  w.command({{"type", "close"}, {"question", "gut"}});
  const auto r = w.console->wait_push("results", "gut", 5s, from);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)["suppressed"], true);
  EXPECT_FALSE(r->contains("tally"));
  for (const auto& p : w.people)
    for (const auto& m : p->received()) EXPECT_FALSE(m.contains("tally")) << m.dump();
}

TEST(Server, LiveModeShowsResultsWithoutReveal) {
  workshop w(3, /*live=*/true);
  w.join_all(3);
  w.command({{"type", "open"}, {"question", "sure"}});
  for (int i = 0; i < 3; ++i) w.vote(i, "sure", {{"value", 2}});
  const auto r = w.people[0]->wait_for([](const json& m) { return m["type"] == "results" && m.contains("tally"); });
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)["tally"]["histogram"]["2"], 3);
}

TEST(Server, InALiveRoomAWaitingCountLeavesWithTheTally) {
  workshop w(3, /*live=*/true);
  w.join_all(3);
  w.command({{"type", "open"}, {"question", "sure"}});
  // The first vote's count goes out at once; the next two wait for the count's next slot
  // (100 ms later)...
  w.vote(0, "sure", {{"value", 1}});
  ASSERT_TRUE(w.people[0]->wait_for([](const json& m) { return m["type"] == "progress" && m["ballots"] == 1; }));
  const auto from = w.people[0]->count();
  for (int i = 1; i < 3; ++i) w.people[i]->send({{"type", "vote"}, {"question", "sure"}, {"ballot", {{"value", 2}}}});
  // ... but the tally these two votes release (min_group 3) takes that count along, in the
  // same write: it is there the moment the tally is, not a slot later.
  const auto tally = w.people[0]->wait_for(
      [](const json& m) { return m["type"] == "results" && m["ballots"] == 3 && m.contains("tally"); }, 5s, from);
  ASSERT_TRUE(tally);
  const auto count =
      w.people[0]->wait_for([](const json& m) { return m["type"] == "progress" && m["ballots"] == 3; }, 40ms, from);
  EXPECT_TRUE(count) << "the count of 3 did not come with the tally of 3";
  // And no second copy of that count follows when its slot comes.
  std::this_thread::sleep_for(250ms);
  int counts_of_three = 0;
  for (const auto& m : w.people[0]->received())
    if (m.value("type", "") == "progress" && m.value("ballots", 0) == 3) ++counts_of_three;
  EXPECT_EQ(counts_of_three, 1);
}

TEST(Server, TimedRoundClosesByItself) {
  workshop w(3);
  w.join_all(1);
  w.command({{"type", "open"}, {"question", "gut"}, {"seconds", 5}});
  const auto open = w.people[0]->wait_for([](const json& m) { return m["type"] == "round" && m["status"] == "open"; });
  ASSERT_TRUE(open);
  EXPECT_LE((*open)["closes_in"].get<int>(), 5);
  const auto closed =
      w.people[0]->wait_for([](const json& m) { return m["type"] == "round" && m["status"] == "closed"; }, 8s);
  EXPECT_TRUE(closed);
}

TEST(Server, BadInputGetsItsErrorAndTheConnectionStays) {
  workshop w(3);
  w.join_all(1);
  auto& p = w.people[0];
  const auto expect_error = [&](std::shared_ptr<ws_client>& c, const std::string& raw, const std::string& code) {
    const auto from = c->count();
    c->send_raw(raw);
    const auto e = c->wait_push("error", "", 5s, from);
    ASSERT_TRUE(e) << raw;
    EXPECT_EQ((*e)["code"], code) << raw << " -> " << e->dump();
  };
  expect_error(p, "{not json", "bad_json");
  expect_error(p, "[1,2]", "bad_message");
  expect_error(p, R"({"type":"fly"})", "bad_message");
  expect_error(p, R"({"type":"vote","question":"gut"})", "bad_message");
  expect_error(p, R"({"type":"vote","question":7,"ballot":{}})", "bad_message");
  expect_error(p, R"({"type":"vote","id":")" + std::string(65, 'x') + R"(","question":"gut","ballot":{}})",
               "too_large");
  expect_error(p, R"({"type":"vote","question":"gut","ballot":{"choice":"refer"}})", "voting_closed");
  expect_error(p, R"({"type":"vote","question":"nope","ballot":{"choice":"refer"}})", "unknown_question");
  expect_error(p, R"({"type":"open","code":")" + w.code + R"(","question":"gut"})", "unauthorized");
  expect_error(p, R"({"type":"join","code":"000000","token":")" + token(5) + "\"}", "bad_message");
  w.command({{"type", "open"}, {"question", "gut"}});
  w.command({{"type", "open"}, {"question", "sure"}});
  w.command({{"type", "open"}, {"question", "principles"}});
  w.command({{"type", "open"}, {"question", "bias"}});
  w.command({{"type", "open"}, {"question", "models"}});
  w.command({{"type", "open"}, {"question", "voices"}});
  for (const auto& [q, ballot] :
       std::vector<std::pair<std::string, std::string>>{{"gut", R"({"choice":"maybe"})"},
                                                        {"gut", R"("refer")"},
                                                        {"sure", R"({"value":9})"},
                                                        {"sure", R"({"value":2.5})"},
                                                        {"principles", R"({"points":{"autonomy":9}})"},
                                                        {"principles", R"({"points":{"autonomy":-1,"justice":11}})"},
                                                        {"bias", R"({"order":["morals","morals","culture"]})"},
                                                        {"models", R"({"outcomes":{"guidelines":"refer"}})"},
                                                        {"voices", R"({"choice":"refer"})"}})
    expect_error(p, R"({"type":"vote","question":")" + q + R"(","ballot":)" + ballot + "}", "invalid_ballot");
  expect_error(p, R"({"type":"perspective","question":"gut","text":"x"})", "invalid_ballot");
  expect_error(p, R"({"type":"perspective","question":"voices","text":"   "})", "invalid_ballot");
  expect_error(p, R"({"type":"endorse","perspective":"nope"})", "unknown_perspective");
  // Binary frames are answered too.
  {
    const auto from = p->count();
    p->send_raw("\x01\x02", true);
    const auto e = p->wait_push("error", "", 5s, from);
    ASSERT_TRUE(e);
    EXPECT_EQ((*e)["code"], "bad_message");
  }
  // Wrong key, unknown code, commands before host.
  auto stranger = ws_client::connect(w.server->port());
  expect_error(stranger, R"({"type":"vote","question":"gut","ballot":{"choice":"refer"}})", "not_joined");
  expect_error(stranger, R"({"type":"goto","code":")" + w.code + R"(","stage":1})", "unauthorized");
  expect_error(stranger, R"({"type":"host","key":"wrong"})", "unauthorized");
  expect_error(stranger, R"({"type":"join","code":"999999","token":")" + token(7) + "\"}", "unknown_code");
  expect_error(w.console, R"({"type":"goto","code":")" + w.code + R"(","stage":99})", "unknown_stage");
  expect_error(w.console, R"({"type":"start","scenario":"nope"})", "unknown_scenario");
  expect_error(w.console, R"({"type":"attach","code":"999999"})", "unknown_code");
  expect_error(w.console, R"({"type":"moderate","code":")" + w.code + R"(","perspective":"x","action":"show"})",
               "unknown_perspective");
  // Still healthy: a valid vote is acked on the same connection.
  w.vote(0, "gut", {{"choice", "refer"}});
  EXPECT_FALSE(p->closed());
  // A frame over 64 KiB closes that connection with 1009, and nothing else.
  auto big = ws_client::connect(w.server->port());
  big->send_raw(std::string(64 * 1024 + 1, ' '));
  ASSERT_TRUE(big->wait_closed(5s));
  EXPECT_EQ(big->close_code(), 1009);
  w.vote(0, "gut", {{"choice", "decline"}});
  EXPECT_EQ(http_get(w.server->port(), "/healthz").status, 200);
}

TEST(Server, AttachReloadedConsoleAndHostingListsSessions) {
  workshop w(3);
  w.join_all(3);
  w.command({{"type", "open"}, {"question", "gut"}});
  for (int i = 0; i < 3; ++i) w.vote(i, "gut", {{"choice", "refer"}});
  auto console = ws_client::connect(w.server->port());
  const auto hosting = console->request({{"type", "host"}, {"key", test_key}});
  ASSERT_EQ(hosting["sessions"].size(), 1u);
  EXPECT_EQ(hosting["sessions"][0]["code"], w.code);
  EXPECT_EQ(hosting["sessions"][0]["scenario"], "demo");
  EXPECT_EQ(hosting["scenarios"][0]["id"], "demo");
  const auto joined = console->request({{"type", "attach"}, {"code", w.code}});
  EXPECT_EQ(joined["type"], "joined");
  EXPECT_EQ(joined["code"], w.code);
  EXPECT_EQ(joined["session"]["stages"].size(), 11u);
  EXPECT_TRUE(console->wait_push("results", "gut"));
  // The attached console receives later pushes too.
  const auto from = console->count();
  w.command({{"type", "goto"}, {"stage", 1}});
  EXPECT_TRUE(console->wait_push("stage", "", 5s, from));
}

TEST(Server, HttpHealthMetricsAndExports) {
  workshop w(3);
  w.join_all(4);
  w.command({{"type", "open"}, {"question", "gut"}});
  for (int i = 0; i < 4; ++i) w.vote(i, "gut", {{"choice", outcome(i)}});
  w.close_and_results("gut", 1);
  w.command({{"type", "open"}, {"question", "sure"}});
  w.vote(0, "sure", {{"value", 3}});
  w.command({{"type", "close"}, {"question", "sure"}});
  const auto port = w.server->port();
  const auto health = http_get(port, "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(json::parse(health.body)["status"], "ok");
  const auto metrics = http_get(port, "/metrics", test_key);
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("roundtable_connections{role=\"participant\"} 4"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("roundtable_ballots_total 5"), std::string::npos);
  EXPECT_NE(metrics.body.find("roundtable_commit_seconds_count"), std::string::npos);
  // The histograms are well-formed: +Inf bucket equals the count, and batches were committed.
  const auto value_of = [&](const std::string& series) {
    const auto at = metrics.body.find("\n" + series + " ");
    EXPECT_NE(at, std::string::npos) << series;
    return at == std::string::npos ? -1.0 : std::stod(metrics.body.substr(at + series.size() + 2));
  };
  for (const std::string h : {"roundtable_commit_seconds", "roundtable_commit_batch_writes"}) {
    EXPECT_GT(value_of(h + "_count"), 0) << h;
    EXPECT_EQ(value_of(h + "_bucket{le=\"+Inf\"}"), value_of(h + "_count")) << h;
  }
  EXPECT_GE(value_of("roundtable_commit_batch_writes_sum"), 5);
  const auto target = "/api/sessions/" + w.code + "/export.json";
  EXPECT_EQ(http_get(port, target).status, 401);
  EXPECT_EQ(http_get(port, target, "wrong").status, 401);
  EXPECT_EQ(http_get(port, "/api/sessions/999999/export.json", test_key).status, 404);
  const auto exported = http_get(port, target, test_key);
  ASSERT_EQ(exported.status, 200);
  const auto e = json::parse(exported.body);
  EXPECT_EQ(e["code"], w.code);
  const auto& gut = e["questions"][0];
  EXPECT_EQ(gut["rounds"][0]["votes"].size(), 4u);
  std::set<std::string> pseudonyms;
  for (const auto& v : gut["rounds"][0]["votes"]) pseudonyms.insert(v["voter"]);
  EXPECT_EQ(pseudonyms, (std::set<std::string>{"v1", "v2", "v3", "v4"}));
  const auto& sure = e["questions"][2];
  EXPECT_EQ(sure["rounds"][0]["ballots"], 1);
  EXPECT_FALSE(sure["rounds"][0].contains("votes"));
  for (int i = 0; i < 4; ++i) EXPECT_EQ(exported.body.find(token(i)), std::string::npos);
  const auto csv = http_get(port, "/api/sessions/" + w.code + "/export.csv", test_key);
  EXPECT_EQ(csv.status, 200);
  EXPECT_NE(csv.body.find("session,question,type,round,voter,answer,note"), std::string::npos);
  EXPECT_NE(csv.body.find("suppressed: 1 ballots"), std::string::npos);
  EXPECT_EQ(http_get(port, "/nope").status, 404);
  EXPECT_EQ(http_get(port, "/").status, 200);
  EXPECT_EQ(http_get(port, "/host").status, 200);
  EXPECT_EQ(http_get(port, "/present/" + w.code).status, 200);
}

TEST(Server, AckedVotesSurviveSigkillAndTheFileStaysIntact) {
  temp_dir dir;
  const std::string db = dir.path() + "/crash.db";
  std::string code;
  std::vector<std::pair<int, std::string>> acked;  // participant, outcome
  {
    server_process server({db, test_scenarios, test_key, 3, {}});
    auto console = ws_client::connect(server.port());
    console->request({{"type", "host"}, {"key", test_key}});
    code = console->request({{"type", "start"}, {"scenario", "demo"}})["code"];
    console->request({{"type", "open"}, {"code", code}, {"question", "gut"}});
    std::vector<std::shared_ptr<ws_client>> people;
    for (int i = 0; i < 30; ++i) {
      people.push_back(ws_client::connect(server.port()));
      people.back()->request({{"type", "join"}, {"code", code}, {"token", token(i)}});
    }
    // A burst: every participant sends without waiting, then the server dies mid-burst.
    for (int i = 0; i < 30; ++i)
      people[i]->send({{"type", "vote"},
                       {"id", "b" + std::to_string(i)},
                       {"question", "gut"},
                       {"ballot", {{"choice", outcome(i)}}}});
    std::this_thread::sleep_for(std::chrono::milliseconds(15));
    server.kill_hard();
    for (int i = 0; i < 30; ++i) {
      people[i]->wait_closed(3s);
      for (const auto& m : people[i]->received())
        if (m.value("type", "") == "ack" && m.value("id", "") == "b" + std::to_string(i))
          acked.emplace_back(i, outcome(i));
    }
  }
  {
    sqlite3* handle = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &handle), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(handle, "PRAGMA integrity_check", -1, &stmt, nullptr);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "ok");
    sqlite3_finalize(stmt);
    sqlite3_close(handle);
  }
  // Restarted on the same file: every acked vote is there.
  server_process again({db, test_scenarios, test_key, 3, {}});
  for (const auto& [i, choice] : acked) {
    auto c = ws_client::connect(again.port());
    const auto joined = c->request({{"type", "join"}, {"code", code}, {"token", token(i)}});
    EXPECT_EQ(joined["session"]["mine"]["gut"], (json{{"choice", choice}})) << "participant " << i;
  }
  std::cout << acked.size() << " of 30 votes were acked before the kill\n";
}

TEST(Server, SigtermClosesWebSocketsWith1012AndExitsZero) {
  workshop w(3);
  w.join_all(2);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(w.server->terminate(6s), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  ASSERT_TRUE(w.people[0]->wait_closed(2s));
  EXPECT_EQ(w.people[0]->close_code(), 1012);
}

TEST(Server, RestartReplaysSessions) {
  temp_dir dir;
  const std::string db = dir.path() + "/replay.db";
  std::string code;
  {
    server_process server({db, test_scenarios, test_key, 3, {}});
    auto console = ws_client::connect(server.port());
    console->request({{"type", "host"}, {"key", test_key}});
    code = console->request({{"type", "start"}, {"scenario", "demo"}})["code"];
    console->request({{"type", "goto"}, {"code", code}, {"stage", "sure"}});
    console->request({{"type", "end"}, {"code", code}});
    EXPECT_EQ(server.terminate(), 0);
  }
  server_process again({db, test_scenarios, test_key, 3, {}});
  auto console = ws_client::connect(again.port());
  const auto hosting = console->request({{"type", "host"}, {"key", test_key}});
  ASSERT_EQ(hosting["sessions"].size(), 1u);
  EXPECT_EQ(hosting["sessions"][0]["ended"], true);
  auto viewer = ws_client::connect(again.port());
  const auto joined = viewer->request({{"type", "watch"}, {"code", code}});
  EXPECT_EQ(joined["session"]["stage"]["id"], "sure");
  EXPECT_EQ(joined["session"]["ended"], true);
  // Purge deletes it for good; the code is never handed out again.
  EXPECT_EQ(console->request({{"type", "purge"}, {"code", code}})["type"], "ack");
  EXPECT_EQ(console->request({{"type", "attach"}, {"code", code}})["code"], "unknown_code");
}
