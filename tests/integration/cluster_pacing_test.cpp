// A session's clocks where three `facilitator serve --nats` processes share its log (issue 13): tallies keep
// today's rule (at most ten a second) whichever servers take the ballots, and one server, the pacer (the
// smallest server id), closes the timed rounds, once; when the pacer dies, another server closes them.
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "facilitator_cluster.hpp"

using namespace roundtable::test;

namespace {

const char* const choices[] = {"refer", "decline", "conditions"};

std::size_t count_of(const std::vector<json>& log, const std::string& type, const std::string& question) {
  return std::count_if(log.begin(), log.end(),
                       [&](const json& e) { return e["type"] == type && e.value("question", "") == question; });
}

json vote(const std::string& question, int i) {
  return {{"type", "vote"}, {"question", question}, {"ballot", {{"choice", choices[i % 3]}}}};
}

}  // namespace

// Participants on all three servers change their votes twenty times a second for three seconds: each server
// publishes the tallies its own ballots make due, yet the session's tallies stay at most ten a second (a tally
// stored by any server starts every server's interval).
TEST(ClusterPacing, TalliesStayTenASecondWhateverServerTheBallotsReach) {
  cluster_session s;
  std::vector<std::shared_ptr<ws_client>> people;
  for (int i = 0; i < 9; ++i) people.push_back(s.join(i % 3, i));
  const auto started = std::chrono::steady_clock::now();
  int sent = 0;
  for (; sent < 60; ++sent) {
    people[sent % 9]->send(vote("gut", sent / 9 + sent));
    std::this_thread::sleep_for(50ms);
  }
  for (int i = 0; i < 9; ++i) {
    const auto last = people[i]->request(vote("gut", 2));  // the same last vote for all: the final tally is known
    ASSERT_EQ(last["type"], "ack") << last.dump();
  }
  const auto final = s.console->wait_for(
      [](const json& m) {
        return m.value("type", "") == "results" && m.value("question", "") == "gut" &&
               m.value("/tally/counts/conditions"_json_pointer, 0) == 9;
      },
      10s);
  ASSERT_TRUE(final) << "no tally of the last votes";
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const auto tallies = count_of(s.stored(), "tally_published", "gut");
  std::cout << tallies << " tallies in " << seconds << " s\n";
  EXPECT_LE(static_cast<double>(tallies), 10 * seconds + 1) << "several servers published";
  EXPECT_GE(tallies, 5u) << "tallies were held back, not paced";
}

// A timed round opened on one server closes once, and the participants of every server see it close.
TEST(ClusterPacing, ATimedRoundClosesOnceAndEveryServersParticipantsSeeIt) {
  cluster_session s;
  std::vector<std::shared_ptr<ws_client>> people;
  for (int i = 0; i < 6; ++i) people.push_back(s.join(i % 3, i));
  std::vector<std::size_t> from;
  for (auto& p : people) from.push_back(p->count());
  s.command({{"type", "open"}, {"question", "feel"}, {"seconds", 5}});
  for (std::size_t i = 0; i < people.size(); ++i) {
    const auto closed = people[i]->wait_for(
        [](const json& m) { return m["type"] == "round" && m["question"] == "feel" && m["status"] == "closed"; }, 15s,
        from[i]);
    EXPECT_TRUE(closed) << "participant " << i << " on server " << i % 3 << " never saw the round close";
  }
  EXPECT_EQ(count_of(s.stored(), "round_closed", "feel"), 1u) << "the round was closed by several servers";
}

// The pacer is SIGKILLed with a timed round open and votes still coming: the tallies go on, and another server
// closes the round (within the grace it gives the pacer and the three seconds it takes to forget it).
TEST(ClusterPacing, WhenThePacerDiesAnotherServerClosesTheTimedRound) {
  cluster_session s;
  const auto pacer = pacer_of(s);
  const auto other = (pacer + 1) % 3;
  auto console = s.console_on(other);
  std::vector<std::shared_ptr<ws_client>> people;
  for (int i = 0; i < 4; ++i) people.push_back(s.join(i % 2 ? other : (pacer + 2) % 3, i));
  // Round 2 of gut, timed.
  for (const auto* type : {"close", "open"}) {
    json cmd{{"type", type}, {"code", s.code}, {"question", "gut"}};
    if (cmd["type"] == "open") cmd["seconds"] = 5;
    const auto reply = console->request(cmd);
    ASSERT_EQ(reply["type"], "ack") << reply.dump();
  }
  s.servers[pacer]->kill_hard();
  for (int i = 0; i < 4; ++i) {
    const auto acked = people[i]->request(vote("gut", 0), 10s);
    ASSERT_EQ(acked["type"], "ack") << acked.dump();
  }
  EXPECT_TRUE(console->wait_for(
      [](const json& m) {
        return m.value("type", "") == "results" && m.value("question", "") == "gut" && m.value("round", 0) == 2 &&
               m.value("ballots", 0) == 4;
      },
      10s))
      << "no tally after the pacer died";
  EXPECT_TRUE(people[0]->wait_for(
      [](const json& m) {
        return m.value("type", "") == "round" && m.value("question", "") == "gut" && m.value("round", 0) == 2 &&
               m.value("status", "") == "closed";
      },
      15s))
      << "the timed round never closed after the pacer died";
  EXPECT_EQ(count_of(s.stored(), "round_closed", "gut"), 2u);  // round 1's close by command, round 2's by time
  if (HasFailure())
    for (auto& srv : s.servers) std::cerr << "--- a facilitator's log:\n" << srv->output();
}

// Anyone who can publish on NATS can claim server ids smaller than every real server's, each one more turn ahead
// of the real servers. The turns are capped at four (6 s): twenty forged ids, kept alive, delay a timed close by
// 6 s, not 30; and the real servers, all at the cap, close at once: one close is stored, and the participants of
// every server see it (the others' rooms go back to the stream's state and push it).
TEST(ClusterPacing, ForgedServersAheadInLineDelayATimedCloseSixSecondsAtMost) {
  cluster_session s;
  std::vector<std::shared_ptr<ws_client>> people;
  for (int i = 0; i < 3; ++i) people.push_back(s.join(i, i));
  natsConnection* nc = nullptr;
  ASSERT_EQ(natsConnection_ConnectTo(&nc, s.nats_urls().c_str()), NATS_OK);
  std::atomic<bool> forging{true};
  std::thread forger([&] {
    const auto subject = "roundtable.presence." + s.code;
    while (forging) {
      for (int i = 0; i < 20; ++i) {
        const auto body = R"({"server":"-----forged-)" + std::to_string(i) + R"(","count":0})";  // "-" sorts first
        natsConnection_Publish(nc, subject.c_str(), body.data(), static_cast<int>(body.size()));
      }
      natsConnection_Flush(nc);
      std::this_thread::sleep_for(500ms);
    }
  });
  std::this_thread::sleep_for(1s);  // every room holds the forged servers
  std::vector<std::size_t> from;
  for (auto& p : people) from.push_back(p->count());
  const auto opened = std::chrono::steady_clock::now();
  ASSERT_EQ(s.command({{"type", "open"}, {"question", "feel"}, {"seconds", 5}})["type"], "ack");
  for (std::size_t i = 0; i < people.size(); ++i) {
    const auto closed = people[i]->wait_for(
        [](const json& m) { return m["type"] == "round" && m["question"] == "feel" && m["status"] == "closed"; }, 15s,
        from[i]);
    EXPECT_TRUE(closed) << "participant " << i << " never saw the round close (or only after 5 + 15 s)";
  }
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - opened).count();
  std::cout << "closed " << took << " s after the open\n";
  EXPECT_GE(took, 5.0 + 4 * 1.5 - 0.5) << "the servers closed before the forged ones' turns were over";
  forging = false;
  forger.join();
  natsConnection_Destroy(nc);
  EXPECT_EQ(count_of(s.stored(), "round_closed", "feel"), 1u) << "the round was closed by several servers";
}
