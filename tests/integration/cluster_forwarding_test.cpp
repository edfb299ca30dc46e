// One writer in practice where three `facilitator serve --nats` processes serve a session (issue 13): the
// participants' requests reaching the other servers are forwarded to the pacer (the smallest server id), which
// decides and stores them and answers through the server the participant is connected to; when the pacer is gone,
// the requests are decided where they arrived, and nothing is stored twice. What is not a facilitator's forward is
// ignored, and the servers stay up.
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <signal.h>

#include <iostream>
#include <map>
#include <thread>

#include "facilitator_cluster.hpp"
#include "harness.hpp"

using namespace roundtable::test;

namespace {

const char* const choices[] = {"refer", "decline", "conditions"};

json vote_msg(const std::string& id, int i) {
  return {{"type", "vote"}, {"id", id}, {"question", "gut"}, {"ballot", {{"choice", choices[i % 3]}}}};
}

// n participants, i on server i % 3, once every server counts all of them (each heard the others' presence,
// so each knows who is first in line).
std::vector<std::shared_ptr<ws_client>> everyone_present(cluster_session& s, int n) {
  std::vector<std::shared_ptr<ws_client>> people;
  for (int i = 0; i < n; ++i) people.push_back(s.join(i % 3, i));
  for (int k = 0; k < 3; ++k)
    EXPECT_TRUE(
        people[k]->wait_for([n](const json& m) { return m["type"] == "presence" && m["participants"] == n; }, 10s))
        << "server " << k << " never counted all " << n;
  return people;
}

// The stream holds one ballot on gut for each of `voters` participants, none twice.
void expect_one_ballot_each(const cluster_session& s, std::size_t voters) {
  const auto stored = ballots_by_voter(s.stored());
  EXPECT_EQ(stored.size(), voters);
  for (const auto& [voter, n] : stored) EXPECT_EQ(n, 1) << voter;
}

}  // namespace

// Three facilitators serving one session; their logs are printed when a test fails.
class ClusterForwarding : public ::testing::Test {
protected:
  void TearDown() override {
    if (HasFailure())
      for (auto& srv : s.servers) std::cerr << "--- a facilitator's log:\n" << srv->output();
    if (nc_) natsConnection_Destroy(nc_);
  }
  /// A NATS connection of the test's own (a stranger on the servers' network), made once.
  natsConnection* nats() {
    if (!nc_ && natsConnection_ConnectTo(&nc_, s.nats_urls().c_str()) != NATS_OK) nc_ = nullptr;
    return nc_;
  }
  cluster_session s;

private:
  natsConnection* nc_ = nullptr;
};

TEST_F(ClusterForwarding, EveryParticipantsRequestIsDecidedByThePacerAndCountedWhereItArrived) {
  auto people = everyone_present(s, 9);
  const auto pacer = pacer_of(s);
  for (int i = 0; i < 9; ++i) EXPECT_EQ(people[i]->request(vote_msg("v", i))["type"], "ack") << "participant " << i;
  // A refusal comes back the same way: the writer's error, with the request's id, to the participant.
  const auto other = (pacer + 1) % 3;
  const auto refused = people[other]->request(
      {{"type", "vote"}, {"id", "nope"}, {"question", "no-such-question"}, {"ballot", {{"choice", "refer"}}}});
  EXPECT_EQ(refused["type"], "error") << refused.dump();
  EXPECT_EQ(refused.value("id", ""), "nope");
  for (std::size_t k = 0; k < 3; ++k) {
    const auto port = s.port(k);
    // Three votes a server, counted where their participants are connected.
    EXPECT_EQ(metric(port, "roundtable_ballots_total"), 3) << "server " << k;
    EXPECT_EQ(metric(port, "roundtable_forwarded_total"), k == pacer ? 0 : (k == other ? 4 : 3)) << "server " << k;
    EXPECT_EQ(metric(port, "roundtable_forwards_served_total"), k == pacer ? 7 : 0) << "server " << k;
    EXPECT_EQ(metric(port, "roundtable_forwards_decided_here_total"), 0) << "server " << k;
    EXPECT_GE(metric(port, "roundtable_errors_total"), k == other ? 1 : 0) << "server " << k;
  }
  expect_one_ballot_each(s, 9);
}

TEST_F(ClusterForwarding, RequestsForADeadPacerAreDecidedWhereTheyArrivedOnce) {
  auto people = everyone_present(s, 12);
  const auto pacer = pacer_of(s);
  s.servers[pacer]->kill_hard();  // its participants and the console, if it was the first, go with it
  // At once: the others still take the pacer for the writer (it is forgotten after three seconds of silence).
  std::vector<int> living;
  for (int i = 0; i < 12; ++i)
    if (static_cast<std::size_t>(i % 3) != pacer) living.push_back(i);
  for (const int i : living) people[i]->send(vote_msg("v", i));
  for (const int i : living) {
    const auto r = people[i]->wait_for([](const json& m) { return m.value("id", "") == "v"; }, 20s);
    ASSERT_TRUE(r) << "participant " << i << " got no answer";
    EXPECT_EQ((*r)["type"], "ack") << r->dump();
  }
  double decided_here = 0;
  for (std::size_t k = 0; k < 3; ++k)
    if (k != pacer) decided_here += metric(s.port(k), "roundtable_forwards_decided_here_total");
  EXPECT_GE(decided_here, 1) << "no forward to the dead pacer was decided here";
  expect_one_ballot_each(s, living.size());
}

// A writer that hangs (a stalled machine; SIGSTOP here) answers neither requests nor pings, though NATS still holds
// its subscriptions: after five seconds of silence and five more without a pong, the participant's server decides
// the request itself. When the writer wakes and decides it too, the request's id keeps it to one ballot.
TEST_F(ClusterForwarding, ARequestForAHungPacerIsDecidedWhereItArrivedAfterAnUnansweredPing) {
  auto people = everyone_present(s, 6);
  const auto pacer = pacer_of(s);
  const auto other = (pacer + 1) % 3;
  ASSERT_EQ(::kill(s.servers[pacer]->pid(), SIGSTOP), 0);
  people[other]->send(vote_msg("v", static_cast<int>(other)));
  const auto r = people[other]->wait_for([](const json& m) { return m.value("id", "") == "v"; }, 30s);
  ::kill(s.servers[pacer]->pid(), SIGCONT);
  ASSERT_TRUE(r) << "no answer while the writer hung";
  EXPECT_EQ((*r)["type"], "ack") << r->dump();
  EXPECT_EQ(metric(s.port(other), "roundtable_forwarded_total"), 1);
  EXPECT_EQ(metric(s.port(other), "roundtable_forwards_decided_here_total"), 1);
  // The writer, awake, takes its own participant's vote after the forward it found waiting.
  EXPECT_EQ(people[pacer]->request(vote_msg("w", static_cast<int>(pacer)))["type"], "ack");
  expect_one_ballot_each(s, 2);
}

// A forged answer to a forward that is waiting (the writer hangs, so no real answer comes first) is no answer for
// this request (another id): it never reaches the participant, and the request is decided where it arrived at once.
TEST_F(ClusterForwarding, AForgedAnswerToAWaitingForwardNeverReachesTheParticipant) {
  auto people = everyone_present(s, 6);
  const auto pacer = pacer_of(s);
  const auto other = (pacer + 1) % 3;
  auto* nc = nats();
  ASSERT_NE(nc, nullptr);
  ASSERT_EQ(::kill(s.servers[pacer]->pid(), SIGSTOP), 0);
  people[other]->send(vote_msg("v", static_cast<int>(other)));
  eventually([&] { return metric(s.port(other), "roundtable_forwarded_total") >= 1; }, 10s);
  // This room's forwards count from 1: the vote's is among the first tokens.
  const auto prefix = "roundtable.answer." + server_id_of(*s.servers[other]) + "." + s.code + ".";
  const std::string forged = R"({"type":"ack","id":"forged"})";
  for (int token = 1; token <= 5; ++token)
    natsConnection_Publish(nc, (prefix + std::to_string(token)).c_str(), forged.data(),
                           static_cast<int>(forged.size()));
  natsConnection_Flush(nc);
  const auto r = people[other]->wait_for([](const json& m) { return m.value("id", "") == "v"; }, 30s);
  ::kill(s.servers[pacer]->pid(), SIGCONT);
  ASSERT_TRUE(r) << "no answer";
  EXPECT_EQ((*r)["type"], "ack") << r->dump();
  for (const auto& m : people[other]->received()) EXPECT_NE(m.value("id", ""), "forged") << "a forged answer went on";
  EXPECT_EQ(metric(s.port(other), "roundtable_forwards_decided_here_total"), 1);
}

// Anyone who can publish on NATS can send a server forwards (NATS must be the servers' private network, as for the
// stream): what is not a participant's request as a facilitator encodes it gets no answer; a well-formed one for a
// voter the session does not know is refused with the core's error; forged answers to forwards never made change
// nothing; the servers go on.
TEST_F(ClusterForwarding, ForgedForwardsAndAnswersAreIgnoredOrRefused) {
  auto people = everyone_present(s, 3);
  const auto pacer = pacer_of(s);
  auto* nc = nats();
  ASSERT_NE(nc, nullptr);
  natsSubscription* inbox = nullptr;
  ASSERT_EQ(natsConnection_SubscribeSync(&inbox, nc, "test.answers"), NATS_OK);
  const auto forward_subject = "roundtable.forward." + s.code + "." + server_id_of(*s.servers[pacer]);
  const auto send = [&](const std::string& subject, const std::string& body) {
    natsConnection_PublishRequest(nc, subject.c_str(), "test.answers", body.data(), static_cast<int>(body.size()));
  };
  const std::string vote_frame =
      R"({\"type\":\"vote\",\"id\":\"f\",\"question\":\"gut\",\"ballot\":{\"choice\":\"refer\"}})";
  for (const auto& junk :
       {std::string("not json"), std::string("[]"), std::string(R"({"voter":1,"frame":"x"})"),
        R"({"voter":"","frame":")" + vote_frame + R"("})",
        R"({"voter":")" + std::string(200, 'a') + R"(","frame":")" + vote_frame + R"("})",
        std::string(R"({"voter":"abc","frame":"not json"})"), std::string(R"({"voter":"abc","frame":{"type":"vote"}})"),
        std::string(R"({"voter":"abc","frame":"{\"type\":\"join\",\"code\":\"1\",\"token\":\"t\"}"})"),
        std::string(R"({"voter":"abc","frame":"{\"type\":\"open\",\"code\":\"1\",\"question\":\"gut\"}"})")})
    send(forward_subject, junk);
  // A request without a reply subject is no forward either.
  const std::string unknown_voter = R"({"voter":"abc","frame":")" + vote_frame + R"("})";
  natsConnection_Publish(nc, forward_subject.c_str(), unknown_voter.data(), static_cast<int>(unknown_voter.size()));
  send(forward_subject, unknown_voter);
  // Answers to forwards no server made: a token never handed out, and one that is no number.
  for (std::size_t k = 0; k < 3; ++k) {
    const auto prefix = "roundtable.answer." + server_id_of(*s.servers[k]) + "." + s.code + ".";
    const std::string ack = R"({"type":"ack","id":"v"})";
    natsConnection_Publish(nc, (prefix + "999999").c_str(), ack.data(), static_cast<int>(ack.size()));
    natsConnection_Publish(nc, (prefix + "x").c_str(), ack.data(), static_cast<int>(ack.size()));
  }
  natsConnection_Flush(nc);
  std::vector<json> answers;
  for (natsMsg* m = nullptr; natsSubscription_NextMsg(&m, inbox, 2000) == NATS_OK; natsMsg_Destroy(m))
    answers.push_back(json::parse(std::string(natsMsg_GetData(m), natsMsg_GetDataLength(m)), nullptr, false));
  ASSERT_EQ(answers.size(), 1u) << "only the well-formed forward is answered";
  EXPECT_EQ(answers[0]["type"], "error") << answers[0].dump();
  EXPECT_EQ(answers[0]["code"], "not_joined") << answers[0].dump();
  EXPECT_EQ(answers[0]["id"], "f");
  // Every server still serves its participants, and the forged answers acked nothing.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(people[i]->request(vote_msg("v", i))["type"], "ack") << "participant " << i;
  expect_one_ballot_each(s, 3);
  natsSubscription_Destroy(inbox);
}

// A server id travels in the subject of the forwards sent to that server: a forged presence whose id would sort
// first but is no server id (a space, a line break, a dot, too long) would otherwise turn every vote into a broken
// or injected NATS protocol line. It is ignored: the votes go to the real pacer.
TEST_F(ClusterForwarding, APresenceWhoseIdIsNoServerIdIsIgnored) {
  auto people = everyone_present(s, 3);
  const auto pacer = pacer_of(s);
  auto* nc = nats();
  ASSERT_NE(nc, nullptr);
  const auto say = [&](const std::string& body) {
    const auto subject = "roundtable.presence." + s.code;
    natsConnection_Publish(nc, subject.c_str(), body.data(), static_cast<int>(body.size()));
  };
  for (const auto& id : {std::string("- x"), std::string("-\\r\\nUNSUB 1\\r\\n"), std::string("-.a"),
                         std::string(40, '-'), std::string("")})
    say(R"({"server":")" + id + R"(","count":1})");
  say(R"({"server":"zzzzz-marker","count":1})");  // a valid id, said last: once counted, the others were read
  natsConnection_Flush(nc);
  for (int k = 0; k < 3; ++k)
    ASSERT_TRUE(
        people[k]->wait_for([](const json& m) { return m["type"] == "presence" && m["participants"] == 4; }, 10s))
        << "server " << k << " never counted the marker (or counted more)";
  for (int i = 0; i < 3; ++i) EXPECT_EQ(people[i]->request(vote_msg("v", i))["type"], "ack") << "participant " << i;
  EXPECT_EQ(metric(s.port(pacer), "roundtable_forwards_served_total"), 2);
  for (std::size_t k = 0; k < 3; ++k)
    EXPECT_EQ(metric(s.port(k), "roundtable_forwards_decided_here_total"), 0) << "server " << k;
  expect_one_ballot_each(s, 3);
}
