// One session served by three `facilitator serve --nats` processes on one JetStream (issue 13): participants
// on every server vote, every server pushes the same tallies, a reveal on one reaches the others, and a
// facilitator SIGKILLed mid-burst loses no acked vote and duplicates none once its clients resend elsewhere.
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <map>
#include <set>
#include <thread>

#include "facilitator_cluster.hpp"

using namespace roundtable::test;

namespace {

const char* const choices[] = {"refer", "decline", "conditions"};
constexpr int n_people = 30;  // ten on each server

json vote_msg(const std::string& id, int i) {
  return {{"type", "vote"}, {"id", id}, {"question", "gut"}, {"ballot", {{"choice", choices[i % 3]}}}};
}

// The reply to the request with that id (waiting for it).
json reply_to(ws_client& c, const std::string& id) {
  const auto r = c.wait_for([&](const json& m) { return m.value("id", "") == id; }, 10s);
  return r ? *r : json{{"type", "no reply"}};
}

// The first results push on gut counting n ballots, as c received it.
std::optional<json> tally_of(ws_client& c, int n) {
  return c.wait_for(
      [n](const json& m) { return m["type"] == "results" && m["question"] == "gut" && m["ballots"] == n; }, 10s);
}

}  // namespace

TEST(Cluster, ASessionOnThreeServersTalliesAndRevealsTheSameEverywhere) {
  cluster_session s;
  // Participants and consoles on all three; B and C load the session from the stream on first use.
  std::vector<std::shared_ptr<ws_client>> consoles{s.console, s.console_on(1), s.console_on(2)};
  std::vector<std::shared_ptr<ws_client>> people;
  for (int i = 0; i < n_people; ++i) people.push_back(s.join(i % 3, i));
  // A burst: everyone's vote at once, on three servers writing the same subject.
  for (int i = 0; i < n_people; ++i) people[i]->send(vote_msg("v" + std::to_string(i), i));
  for (int i = 0; i < n_people; ++i) {
    const auto reply = reply_to(*people[i], "v" + std::to_string(i));
    EXPECT_EQ(reply["type"], "ack") << "participant " << i << " on server " << i % 3 << ": " << reply.dump();
  }
  // Every server pushes the tally of every ballot to its console, the same one.
  std::vector<json> finals;
  for (auto& c : consoles) {
    const auto t = tally_of(*c, n_people);
    EXPECT_TRUE(t) << "a console saw no tally of every ballot";
    if (t) finals.push_back((*t)["tally"]);
  }
  ASSERT_EQ(finals.size(), 3u);
  EXPECT_EQ(finals[0], finals[1]);
  EXPECT_EQ(finals[0], finals[2]);
  const int third = n_people / 3;
  EXPECT_EQ(finals[0]["counts"], (json{{"refer", third}, {"decline", third}, {"conditions", third}}));
  // Each tally was decided once for the session, not once per server: a ballot between any two of gut's.
  const auto log = s.stored();
  bool ballot_since = true;
  for (const auto& e : log) {
    if (e["type"] == "ballot_cast") ballot_since = true;
    if (e["type"] != "tally_published") continue;
    EXPECT_TRUE(ballot_since) << "two tallies with no ballot between them";
    ballot_since = false;
  }
  EXPECT_EQ(ballots_by_voter(log).size(), static_cast<std::size_t>(n_people));

  // The console on A closes and reveals; participants on B and C see the revealed tally.
  s.command({{"type", "close"}, {"question", "gut"}});
  std::vector<std::size_t> from;
  for (auto& p : people) from.push_back(p->count());
  s.command({{"type", "reveal"}, {"question", "gut"}});
  for (int i : {1, 2, 4, 5, 28, 29}) {
    const auto seen = people[i]->wait_push("results", "gut", 10s, from[i]);
    ASSERT_TRUE(seen) << "participant " << i << " on server " << i % 3 << " saw no reveal";
    EXPECT_EQ((*seen)["tally"]["counts"], finals[0]["counts"]);
  }
  if (HasFailure())
    for (auto& srv : s.servers) std::cerr << "--- a facilitator's log:\n" << srv->output();
}

// A participant who taps quickly sends ballots one after another without waiting; on servers that beat each
// other's writes, the refused ones are decided again, and they must be in the order they came: the last tap
// stays, in the stream, in their restored ballot and in the final tally (before, each waited on a timer of its
// own, and an earlier ballot could land last).
TEST(Cluster, QuickBallotsDecidedAgainKeepTheirOrderAndTheLastStays) {
  cluster_session s;
  constexpr int n = 6, taps = 10;
  std::vector<std::shared_ptr<ws_client>> people;
  for (int i = 0; i < n; ++i) people.push_back(s.join(i % 3, i));
  for (int k = 0; k < taps; ++k)
    for (int i = 0; i < n; ++i) people[i]->send(vote_msg("tap" + std::to_string(k), i + k));
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < taps; ++k)
      EXPECT_EQ(reply_to(*people[i], "tap" + std::to_string(k))["type"], "ack") << "participant " << i << " tap " << k;
  const auto last = [](int i) { return choices[(i + taps - 1) % 3]; };
  for (int i = 0; i < n; ++i) {
    // Restored by the server they are connected to (the writer decided their ballots and answered through it;
    // it sends the ack on once it folded the ballot). Another server may not have folded the last one yet.
    auto again = ws_client::connect(s.port(i % 3));
    const auto joined = again->request({{"type", "join"}, {"code", s.code}, {"token", token(i)}});
    EXPECT_EQ(joined["session"]["mine"]["gut"], (json{{"choice", last(i)}})) << "participant " << i;
  }
  std::map<std::string, int> expected;
  for (int i = 0; i < n; ++i) ++expected[last(i)];
  const auto final_tally = s.console->wait_for(
      [&](const json& m) {
        return m["type"] == "results" && m["question"] == "gut" && m.contains("tally") &&
               m["tally"]["counts"].value(last(0), 0) == expected[last(0)] &&
               m["tally"]["counts"].value(last(1), 0) == expected[last(1)] &&
               m["tally"]["counts"].value(last(2), 0) == expected[last(2)];
      },
      20s);
  EXPECT_TRUE(final_tally) << "no tally of everyone's last ballot";
  if (HasFailure())
    for (auto& srv : s.servers) std::cerr << "--- a facilitator's log:\n" << srv->output();
}

TEST(Cluster, AFacilitatorKilledMidBurstLosesNoAckedVoteAndDuplicatesNone) {
  cluster_session s;
  constexpr int n = 24;
  std::vector<std::shared_ptr<ws_client>> people;
  for (int i = 0; i < n; ++i) people.push_back(s.join(i % 2, i));  // half on A, half on B
  // The burst: every vote sent at once, no waiting, on both servers.
  for (int i = 0; i < n; ++i) people[i]->send(vote_msg("b" + std::to_string(i), i));
  auto acked = [&](int i) {
    for (const auto& m : people[i]->received())
      if (m.value("id", "") == "b" + std::to_string(i)) return m["type"] == "ack";
    return false;
  };
  // B dies once some of its share of the burst is acked (the rest is in flight, queued, or not yet read).
  ASSERT_TRUE(people[1]->wait_for([](const json& m) { return m.value("id", "") == "b1"; }, 10s));
  s.servers[1]->kill_hard();
  std::set<int> acked_before;
  for (int i = 0; i < n; ++i)
    if (acked(i)) acked_before.insert(i);
  ASSERT_FALSE(acked_before.empty());

  // A's participants get their answers as if nothing happened.
  for (int i = 0; i < n; i += 2) {
    EXPECT_EQ(reply_to(*people[i], "b" + std::to_string(i))["type"], "ack");
    acked_before.insert(i);
  }
  // Every client of B reconnects to C (as behind a load balancer), finds its ballot if it was stored, and
  // resends the vote it has no ack for, with the same id (A's check theirs are kept).
  for (int i = 0; i < n; ++i) {
    auto again = ws_client::connect(s.port(2));
    const auto joined = again->request({{"type", "join"}, {"code", s.code}, {"token", token(i)}});
    ASSERT_EQ(joined["type"], "joined") << joined.dump();
    if (acked_before.count(i)) {
      EXPECT_EQ(joined["session"]["mine"]["gut"], (json{{"choice", choices[i % 3]}})) << "acked vote " << i << " lost";
      continue;
    }
    const auto reply = again->request(vote_msg("b" + std::to_string(i), i));
    EXPECT_EQ(reply["type"], "ack") << reply.dump();
  }
  // Every voter's ballot is in the stream once.
  const auto by_voter = ballots_by_voter(s.stored());
  EXPECT_EQ(by_voter.size(), static_cast<std::size_t>(n));
  for (const auto& [voter, count] : by_voter) EXPECT_EQ(count, 1) << voter;
}

// Three JetStream nodes, three replicas, three facilitators: the stream's leader is SIGKILLed in the middle
// of a burst. A vote answered `internal` is resent with its id, as clients do, until acked; then every acked
// vote is in the stream once, nobody's twice, and the session goes on (a close after it is acked).
TEST(Cluster, TheStreamLeaderKilledMidBurstLosesNoAckedVoteAndTheSessionGoesOn) {
  cluster_session s(3);
  constexpr int n = 30;
  std::vector<std::shared_ptr<ws_client>> people;
  for (int i = 0; i < n; ++i) people.push_back(s.join(i % 3, i));
  const auto leader = stream_leader(s.cluster->url_list());
  ASSERT_FALSE(leader.empty());
  for (int i = 0; i < n; ++i) people[i]->send(vote_msg("k" + std::to_string(i), i));
  ASSERT_TRUE(people[0]->wait_for([](const json& m) { return m.value("id", "") == "k0"; }, 10s));
  s.cluster->node(leader).kill_hard();

  std::set<int> acked;
  for (int i = 0; i < n; ++i) {
    const auto id = "k" + std::to_string(i);
    auto reply = reply_to(*people[i], id);
    // Refused, or not answered yet, while the stream elects a new leader (seconds, more on a loaded machine):
    // sent again with the same id, as a client does.
    const auto unanswered = [](const json& r) { return r["type"] == "no reply" || r.value("code", "") == "internal"; };
    for (int tries = 0; unanswered(reply) && tries < 6; ++tries) {
      std::this_thread::sleep_for(500ms);
      const auto from = people[i]->count();
      people[i]->send(vote_msg(id, i));
      const auto again = people[i]->wait_for([&](const json& m) { return m.value("id", "") == id; }, 15s, from);
      reply = again ? *again : json{{"type", "no reply"}};
    }
    EXPECT_EQ(reply["type"], "ack") << "participant " << i << " on server " << i % 3 << ": " << reply.dump();
    if (reply["type"] == "ack") acked.insert(i);
  }
  const auto by_voter = ballots_by_voter(s.stored());
  EXPECT_EQ(by_voter.size(), acked.size()) << "acked votes lost, or unacked ones stored";
  // The session goes on: each acked voter finds their ballot on another server (within the seconds a server
  // whose subscription stalled at the leader change takes to notice and reload), and the close is acked.
  for (int i : {0, 1, 2}) {
    if (!acked.count(i)) continue;
    json mine;
    for (int tries = 0; tries < 20 && mine != json{{"choice", choices[i % 3]}}; ++tries) {
      if (tries) std::this_thread::sleep_for(500ms);
      // A join is written to the stream too: while a new leader is being elected it may wait longer than a
      // request's usual 5 s (more under the sanitizers); an unanswered join is tried again, as a page does.
      auto again = ws_client::connect(s.port((i + 1) % 3));
      again->send({{"type", "join"}, {"id", "j"}, {"code", s.code}, {"token", token(i)}});
      const auto joined = again->wait_for([](const json& m) { return m.value("id", "") == "j"; }, 15s);
      if (!joined) continue;
      ASSERT_EQ((*joined)["type"], "joined") << joined->dump();
      mine = (*joined)["session"]["mine"]["gut"];
    }
    EXPECT_EQ(mine, (json{{"choice", choices[i % 3]}})) << "participant " << i << " on server " << (i + 1) % 3;
  }
  s.command({{"type", "close"}, {"question", "gut"}});
  if (HasFailure())
    for (auto& srv : s.servers) std::cerr << "--- a facilitator's log:\n" << srv->output();
}

// Presence is the session's, not one server's: every server adds up the counts the others tell it, and
// forgets a server that died.
TEST(Cluster, PresenceCountsTheParticipantsOfEveryServerAndForgetsADeadOne) {
  cluster_session s;
  std::vector<std::shared_ptr<ws_client>> people;
  for (int i = 0; i < 9; ++i) people.push_back(s.join(i % 3, i));
  const auto presence = [](std::size_t n) {
    return [n](const json& m) { return m["type"] == "presence" && m["participants"] == n; };
  };
  EXPECT_TRUE(s.console->wait_for(presence(9), 10s)) << "the console on server 0 never counted all nine";
  EXPECT_TRUE(people[1]->wait_for(presence(9), 10s)) << "a participant on server 1 never counted all nine";
  const auto from = s.console->count();
  s.servers[2]->kill_hard();  // its three participants are gone with it
  EXPECT_TRUE(s.console->wait_for(presence(6), 10s, from)) << "the dead server's participants still counted";
}

// Presence is a union, not a sum: one participant connected to two servers (a phone and a laptop behind a load
// balancer without stickiness) is one participant, until their last connection closes.
TEST(Cluster, AParticipantConnectedToTwoServersCountsOnce) {
  cluster_session s;
  const auto presence = [](std::size_t n) {
    return [n](const json& m) { return m["type"] == "presence" && m["participants"] == n; };
  };
  auto phone = s.join(1, 0);
  auto laptop = s.join(2, 0);  // the same token
  auto other = s.join(2, 1);
  ASSERT_TRUE(s.console->wait_for(presence(2), 10s)) << "the console never counted two";
  phone->close();  // the laptop still holds participant 0
  auto third = s.join(0, 2);
  EXPECT_TRUE(s.console->wait_for(presence(3), 10s)) << "participant 0 was dropped with one of their connections";
  const auto from = s.console->count();
  laptop->close();
  EXPECT_TRUE(s.console->wait_for(presence(2), 10s, from)) << "participant 0 still counted with no connection";
  for (const auto& m : s.console->received()) {
    if (m["type"] != "presence") continue;
    EXPECT_LE(m["participants"].get<std::size_t>(), 3u) << "counted twice: " << m.dump();
  }
}

// A round deals its lenses over the participants connected to every server, not only to the one that opened it:
// eight participants over three servers, four lenses, two holders each, all in the deal the stream stores.
TEST(Cluster, ARoundDealsItsLensesOverEveryServersParticipants) {
  cluster_session s;
  std::vector<std::shared_ptr<ws_client>> people;
  for (int i = 0; i < 8; ++i) people.push_back(s.join(i % 3, i));
  ASSERT_TRUE(
      s.console->wait_for([](const json& m) { return m["type"] == "presence" && m["participants"] == 8; }, 10s));
  s.command({{"type", "goto"}, {"stage", "lens"}});
  s.command({{"type", "open"}, {"question", "lens"}});
  std::map<std::string, int> held;
  for (auto& p : people) {
    const auto st = p->wait_for(
        [](const json& m) {
          return m["type"] == "stage" && m["stage"]["status"] == "open" && m["stage"]["id"] == "lens";
        },
        10s);
    ASSERT_TRUE(st) << "a participant never saw the round open";
    ++held[(*st)["stage"].value("assigned_model", "none")];
  }
  EXPECT_EQ(held,
            (std::map<std::string, int>{{"guidelines", 2}, {"stakeholder", 2}, {"utilitarian", 2}, {"virtue", 2}}));
  std::size_t dealt = 0, late = 0;
  for (const auto& e : s.stored()) {
    if (e["type"] == "round_opened" && e["question"] == "lens")
      for (const auto& holders : e["deal"]["holders"]) dealt += holders.size();
    if (e["type"] == "lens_dealt") ++late;
  }
  EXPECT_EQ(dealt, 8u) << "the deal left out participants of the other servers";
  EXPECT_EQ(late, 0u);
}

// Anyone on the NATS network can publish on a session's presence subject (as on the stream: NATS must be the
// servers' private network). What is not a facilitator's count is ignored, a count no server can hold is
// ignored, at most 64 other servers are held (memory stays bounded), and a forged server that falls silent
// drops out: the session's presence comes back to the truth.
TEST(Cluster, ForgedPresenceOnNatsIsBoundedAndFadesAway) {
  cluster_session s;
  auto a = s.join(0, 0);
  auto b = s.join(1, 1);
  const auto presence = [](std::size_t n) {
    return [n](const json& m) { return m["type"] == "presence" && m["participants"] == n; };
  };
  ASSERT_TRUE(s.console->wait_for(presence(2), 10s));
  const auto from = s.console->count();
  natsConnection* nc = nullptr;
  ASSERT_EQ(natsConnection_ConnectTo(&nc, s.nats_urls().c_str()), NATS_OK);
  const auto say = [&](const std::string& body) {
    const auto subject = "roundtable.presence." + s.code;
    natsConnection_Publish(nc, subject.c_str(), body.data(), static_cast<int>(body.size()));
  };
  for (const auto& junk :
       {std::string("not json"), std::string(R"({"server":7,"count":1})"), std::string(R"({"server":"x","count":-3})"),
        std::string(R"({"server":"x"})"), std::string(R"({"server":"huge","count":1000001})"),
        std::string(R"({"server":"x","count":1,"voters":"all"})"),
        std::string(R"({"server":"x","count":1,"voters":[-1]})"),
        std::string(R"({"server":"x","count":1,"voters":[1.5]})"),
        std::string(R"({"server":"x","count":1,"voters":[4294967296]})")})
    say(junk);
  // Ids far past the voters any server has folded are dropped: the "far" server adds nobody. The marker, said after
  // it, adds one: once the count is 3, the far ids have been read and dropped.
  say(R"({"server":"far","count":2,"voters":[999999,4000000000]})");
  say(R"({"server":"marker","count":1})");
  natsConnection_Flush(nc);
  EXPECT_TRUE(s.console->wait_for(presence(3), 10s, from)) << "the marker's count never came";
  for (const auto& m : s.console->received()) {
    if (m["type"] != "presence") continue;
    EXPECT_LE(m["participants"].get<std::size_t>(), 3u) << "far ids counted: " << m.dump();
  }
  for (int i = 0; i < 100; ++i) say(R"({"server":"forged-)" + std::to_string(i) + R"(","count":1})");
  natsConnection_Flush(nc);
  // The forged servers are counted (NATS is the servers' trusted network), but at most 64 servers' counts of one
  // each beside the 2 real participants, never the junk or the huge one.
  EXPECT_TRUE(s.console->wait_for(
      [](const json& m) { return m["type"] == "presence" && m["participants"].get<std::size_t>() > 2; }, 10s, from));
  for (const auto& m : s.console->received())
    if (m["type"] == "presence") {
      EXPECT_LE(m["participants"].get<std::size_t>(), 2u + 64u) << m.dump();
    }
  // Silent for three seconds, the forged servers are gone.
  const auto later = s.console->count();
  EXPECT_TRUE(s.console->wait_for(presence(2), 10s, later)) << "the forged counts stayed";
  EXPECT_EQ(s.command({{"type", "close"}, {"question", "gut"}})["type"], "ack");
  natsConnection_Destroy(nc);
}
