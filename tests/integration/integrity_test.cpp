// Issue 12's integrity and anonymity holes in the core, attacked against a real `facilitator serve`.
#include <sqlite3.h>

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "csv.hpp"
#include "harness.hpp"

using namespace roundtable::test;

namespace {

// Rows in the events table of the server's database (read while the server runs: WAL readers see
// every committed write).
long long event_rows(const std::string& db) {
  sqlite3* handle = nullptr;
  if (sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) return -1;
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(handle, "SELECT count(*) FROM events", -1, &stmt, nullptr);
  const long long n = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : -1;
  sqlite3_finalize(stmt);
  sqlite3_close(handle);
  return n;
}

}  // namespace

// Item 4: the same ballot re-sent 500 times with fresh request ids is stored once.
TEST(Integrity, TheSameBallotResentWithFreshIdsIsStoredOnce) {
  served_session s({.extra = {"--rate-messages", "100000"}});
  auto p = s.join(0);
  s.command({{"type", "open"}, {"question", "gut"}});
  const json vote{{"type", "vote"}, {"question", "gut"}, {"ballot", {{"choice", "refer"}}}};
  ASSERT_EQ(p->request(vote)["type"], "ack");
  const auto before = event_rows(s.dir.path() + "/rt.db");
  ASSERT_GT(before, 0);
  for (int i = 0; i < 500; ++i) {
    auto again = vote;
    again["id"] = "fresh-" + std::to_string(i);
    p->send(again);
  }
  // Every resend is acked (the last ack comes after every write before it is durable).
  ASSERT_TRUE(p->wait_for([](const json& m) { return m.value("id", "") == "fresh-499"; }, 10s));
  int acks = 0;
  for (const auto& m : p->received())
    if (m.value("type", "") == "ack" && m.value("id", "").starts_with("fresh-")) ++acks;
  EXPECT_EQ(acks, 500);
  // The first copy made one row; the 500 resends none.
  EXPECT_EQ(event_rows(s.dir.path() + "/rt.db"), before);
  // A changed ballot is still stored, and is what the participant has.
  ASSERT_EQ(p->request({{"type", "vote"}, {"question", "gut"}, {"ballot", {{"choice", "decline"}}}})["type"], "ack");
  EXPECT_EQ(event_rows(s.dir.path() + "/rt.db"), before + 1);
  const auto rejoined = s.join(0)->request({{"type", "join"}, {"code", s.code}, {"token", token(0)}});
  EXPECT_EQ(rejoined["session"]["mine"]["gut"], (json{{"choice", "decline"}}));
}

// Item 4's other side: a resend of a request that was acked without an event (its ballot was already
// the current one) is still known, so resending everything unanswered after a reconnect never puts an
// older ballot back over a newer one.
TEST(Integrity, AResendOfAnUnchangedBallotNeverOverwritesANewerOne) {
  served_session s;
  auto p = s.join(0);
  s.command({{"type", "open"}, {"question", "gut"}});
  const auto vote = [](const char* id, const char* choice) {
    return json{{"type", "vote"}, {"id", id}, {"question", "gut"}, {"ballot", {{"choice", choice}}}};
  };
  const std::vector<json> sent = {vote("r1", "refer"), vote("r2", "refer"), vote("r3", "decline")};
  for (const auto& v : sent) ASSERT_EQ(p->request(v)["type"], "ack") << v.dump();
  // A client that lost its acks resends all three, in order, on a new connection.
  auto again = s.join(0);
  for (const auto& v : sent) EXPECT_EQ(again->request(v)["type"], "ack") << v.dump();
  const auto rejoined = s.join(0)->request({{"type", "join"}, {"code", s.code}, {"token", token(0)}});
  EXPECT_EQ(rejoined["session"]["mine"]["gut"], (json{{"choice", "decline"}}));
}

namespace {

// Every perspective item this client was sent, in pushes and in discussion stage views.
std::size_t perspective_items_seen(const ws_client& c) {
  std::size_t n = 0;
  for (const auto& m : c.received()) {
    if (m.value("type", "") == "perspectives") n += m["items"].size();
    if (m.value("type", "") == "stage" && m["stage"].contains("perspectives"))
      for (const auto& [q, items] : m["stage"]["perspectives"].items()) n += items.size();
  }
  return n;
}

}  // namespace

// Item 12: one author's five perspectives (three in round 1, two in round 2), all shown by the facilitator,
// stay hidden from everyone else with min_group 3: authors unlock them, not posts.
TEST(Integrity, OneAuthorsFivePerspectivesAreSeenByNobodyButTheFacilitator) {
  served_session s;
  auto author = s.join(0);
  auto other = s.join(1);
  auto projector = ws_client::connect(s.server->port());
  ASSERT_EQ(projector->request({{"type", "watch"}, {"code", s.code}})["type"], "joined");
  s.command({{"type", "goto"}, {"stage", "voices"}});
  const auto post = [&](const std::string& text) {
    EXPECT_EQ(author->request({{"type", "perspective"}, {"question", "voices"}, {"text", text}})["type"], "ack");
  };
  s.command({{"type", "open"}, {"question", "voices"}});
  for (const auto* t : {"one", "two", "three"}) post(t);
  s.command({{"type", "close"}, {"question", "voices"}});
  s.command({{"type", "open"}, {"question", "voices"}});
  for (const auto* t : {"four", "five"}) post(t);
  const auto all =
      s.console->wait_for([](const json& m) { return m["type"] == "perspectives" && m["items"].size() == 5; });
  ASSERT_TRUE(all);
  for (const auto& item : (*all)["items"])
    s.command({{"type", "moderate"}, {"perspective", item["id"]}, {"action", "show"}});
  s.command({{"type", "reveal"}, {"question", "voices"}});
  s.command({{"type", "goto"}, {"stage", "discuss"}});
  auto late = s.join(2);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(perspective_items_seen(*author), 0u);
  EXPECT_EQ(perspective_items_seen(*other), 0u);
  EXPECT_EQ(perspective_items_seen(*projector), 0u);
  EXPECT_EQ(perspective_items_seen(*late), 0u);
  const auto joined = late->received().front();
  EXPECT_EQ(joined["session"]["stage"]["perspectives"].value("voices", json::array()).size(), 0u) << joined.dump();
}

// Item 12: endorsement counts move for everyone only once min_group distinct participants endorsed.
TEST(Integrity, EndorsementCountsMoveOnlyInStepsOfMinGroupEndorsers) {
  served_session s;
  std::vector<std::shared_ptr<ws_client>> people;
  for (int i = 0; i < 6; ++i) people.push_back(s.join(i));
  s.command({{"type", "goto"}, {"stage", "voices"}});
  s.command({{"type", "open"}, {"question", "voices"}});
  for (int i = 0; i < 3; ++i)
    people[i]->request({{"type", "perspective"}, {"question", "voices"}, {"text", "view " + std::to_string(i)}});
  const auto all =
      s.console->wait_for([](const json& m) { return m["type"] == "perspectives" && m["items"].size() == 3; });
  ASSERT_TRUE(all);
  const std::string target = (*all)["items"][0]["id"];
  s.command({{"type", "moderate"}, {"perspective", target}, {"action", "show"}});
  ASSERT_TRUE(people[5]->wait_for([](const json& m) { return m["type"] == "perspectives" && m["items"].size() == 1; }));
  const auto endorsements_seen = [&](const ws_client& c) {
    std::set<int> counts;
    for (const auto& m : c.received())
      if (m.value("type", "") == "perspectives")
        for (const auto& it : m["items"]) counts.insert(it["endorsements"].get<int>());
    return counts;
  };
  // Everyone but its author endorses it, one at a time (the author may not): 3, 4 and 5 are endorsers.
  int endorsers = 0;
  for (int i = 0; i < 6; ++i) {
    const auto r = people[i]->request({{"type", "endorse"}, {"perspective", target}});
    if (r["type"] == "ack") ++endorsers;
  }
  ASSERT_EQ(endorsers, 5);
  ASSERT_TRUE(s.console->wait_for([&](const json& m) {
    return m["type"] == "perspectives" && !m["items"].empty() && m["items"][0]["endorsements"] == 3;
  }));
  std::this_thread::sleep_for(300ms);
  // Counts of 1, 2, 4 or 5 would each follow a single tap: nobody ever sees one.
  for (const auto* c : {people[5].get(), s.console.get()}) EXPECT_EQ(endorsements_seen(*c), (std::set<int>{0, 3}));
}

// Item 13: the export does not link a participant's ballots across a re-vote whose live shift was held back.
TEST(Integrity, TheExportDoesNotLinkARevoteWhoseShiftWasHeldBack) {
  served_session s;
  std::vector<std::shared_ptr<ws_client>> people;
  for (int i = 0; i < 6; ++i) people.push_back(s.join(i));
  const auto vote = [&](int i, const std::string& choice) {
    EXPECT_EQ(people[i]->request({{"type", "vote"}, {"question", "gut"}, {"ballot", {{"choice", choice}}}})["type"],
              "ack");
  };
  s.command({{"type", "open"}, {"question", "gut"}});
  for (int i = 0; i < 4; ++i) vote(i, "refer");
  s.command({{"type", "close"}, {"question", "gut"}});
  // Round 2 has four ballots, but only two who voted in round 1: the live shift compares 2 < 3.
  s.command({{"type", "open"}, {"question", "gut"}});
  vote(0, "decline");
  vote(1, "refer");
  vote(4, "refer");
  vote(5, "decline");
  s.command({{"type", "close"}, {"question", "gut"}});
  const auto reply = http_get(s.server->port(), "/api/sessions/" + s.code + "/export.json", test_key);
  ASSERT_EQ(reply.status, 200);
  const auto e = json::parse(reply.body);
  const auto& rounds = e["questions"][0]["rounds"];
  ASSERT_EQ(rounds.size(), 2u);
  EXPECT_FALSE(rounds[1]["tally"].contains("shift"));
  std::set<std::string> first;
  for (const auto& v : rounds[0]["votes"]) first.insert(v["voter"].get<std::string>());
  ASSERT_EQ(rounds[1]["votes"].size(), 4u);
  for (const auto& v : rounds[1]["votes"])
    EXPECT_EQ(first.count(v["voter"].get<std::string>()), 0u) << v.dump() << " links the re-vote to round 1";
}

// Item 6: frames of nothing but brackets, at the default frame limit and at the largest one the server
// allows, are refused with bad_json before they are parsed; the connection and the server carry on.
TEST(Integrity, DeepJsonIsRefusedAtTheLargestFrameLimitAndTheServerCarriesOn) {
  for (const std::size_t limit : {std::size_t{64 * 1024}, std::size_t{16 * 1024 * 1024}}) {
    served_session s({.extra = {"--max-message", std::to_string(limit)}});
    auto p = s.join(0);
    // Unbalanced brackets, and a well-formed vote whose ballot nests as deep as the frame allows (the
    // one a parser without a depth limit builds, copies and destroys level by level).
    const std::string head = R"({"type":"vote","question":"gut","ballot":)";
    const std::size_t depth = (limit - head.size() - 1) / 2;
    for (const std::string& frame : {std::string(limit - 1, '['), std::string(limit - 1, '{'),
                                     head + std::string(depth, '[') + std::string(depth, ']') + "}"}) {
      const auto from = p->count();
      p->send_raw(frame);
      const auto reply = p->wait_for([](const json& m) { return m.value("type", "") == "error"; }, 30s, from);
      ASSERT_TRUE(reply) << "no answer at limit " << limit;
      EXPECT_EQ((*reply)["code"], "bad_json") << reply->dump();
      EXPECT_NE((*reply)["message"].get<std::string>().find("deeper than 32"), std::string::npos) << reply->dump();
    }
    // The same connection is still served.
    s.command({{"type", "open"}, {"question", "gut"}});
    EXPECT_EQ(p->request({{"type", "vote"}, {"question", "gut"}, {"ballot", {{"choice", "refer"}}}})["type"], "ack");
  }
}

// Item 8: participants' texts reach the facilitator's spreadsheet through the CSV export; none of them
// runs there as a formula, and the text is all there behind the neutralising quote mark.
TEST(Integrity, TheCsvExportOfARealSessionRunsNoFormulaFromParticipants) {
  served_session s;
  s.command({{"type", "open"}, {"question", "voices"}});
  const std::vector<std::string> hostile = {"=HYPERLINK(\"http://x.example\",\"open\")", "+1+1", "@SUM(A1:A9)"};
  for (int i = 0; i < 3; ++i) {
    auto p = s.join(i);
    ASSERT_EQ(p->request({{"type", "perspective"}, {"question", "voices"}, {"text", hostile[i]}})["type"], "ack");
  }
  const auto csv = http_get(s.server->port(), "/api/sessions/" + s.code + "/export.csv", test_key);
  ASSERT_EQ(csv.status, 200);
  std::size_t found = 0;
  for (const auto& row : read_csv(csv.body)) {
    for (const auto& cell : row) {
      EXPECT_FALSE(runs_as_formula(cell)) << cell;
      for (const auto& text : hostile) found += cell == "'" + text ? 1 : 0;
    }
  }
  EXPECT_EQ(found, hostile.size()) << csv.body;
}
