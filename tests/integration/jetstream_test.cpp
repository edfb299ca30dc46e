// `facilitator serve --nats` (issue 13): the event log in a real nats-server's JetStream. A vote is acked
// only once JetStream stored it; a restarted facilitator recovers the session from the stream; with the
// NATS server gone a vote is refused clearly, nothing acked is lost, and the resend is applied once.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "harness.hpp"
#include "nats_server.hpp"
#include "store/jetstream_store.hpp"
#include "store/sqlite.hpp"

using namespace roundtable::test;
using namespace std::chrono_literals;

namespace {

class JetStreamServe : public ::testing::Test {
protected:
  temp_dir nats_dir;
  nats_server nats{nats_dir.path()};

  serve_options with_nats() { return {.extra = {"--nats", nats.url()}, .min_group = 1}; }

  // A second facilitator process on the same stream (the first one gone).
  std::unique_ptr<server_process> restart(served_session& s) {
    s.server->kill_hard();
    return std::make_unique<server_process>(
        server_process::options{s.dir.path() + "/rt.db", test_scenarios, test_key, 1, {"--nats", nats.url()}});
  }

  // The session's events as JetStream holds them, read by a store of the test's own.
  std::vector<json> stored(const std::string& code) {
    roundtable::store::jetstream_options o;
    o.servers = {nats.url()};
    std::vector<json> out;
    for (const auto& e : roundtable::store::jetstream_store::open(o)->events(code)) out.push_back(json::parse(e));
    return out;
  }

  // How many ballot_cast events the stream holds for the session.
  std::size_t ballots(const std::string& code) {
    std::size_t n = 0;
    for (const auto& e : stored(code)) n += e["type"] == "ballot_cast";
    return n;
  }
};

json vote(ws_client& p, const std::string& id, const std::string& choice) {
  return p.request({{"type", "vote"}, {"id", id}, {"question", "gut"}, {"ballot", {{"choice", choice}}}});
}

json mine(unsigned short port, const std::string& code, int i) {
  auto c = ws_client::connect(port);
  return c->request({{"type", "join"}, {"code", code}, {"token", token(i)}})["session"]["mine"];
}

}  // namespace

TEST_F(JetStreamServe, AckedVotesAreInTheStreamAndSurviveAFacilitatorRestart) {
  served_session s(with_nats());
  s.command({{"type", "open"}, {"question", "gut"}});
  auto p0 = s.join(0);
  auto p1 = s.join(1);
  ASSERT_EQ(vote(*p0, "a", "refer")["type"], "ack");
  ASSERT_EQ(vote(*p1, "b", "decline")["type"], "ack");
  // Acked means stored in JetStream, and nothing went to the SQLite file.
  EXPECT_EQ(ballots(s.code), 2u);
  // The --db file holds the saved cases' table only: no session, no event.
  auto db = roundtable::store::sqlite::db::open_read_only(s.dir.path() + "/rt.db", 1000);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM sessions"), 0);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM events"), 0);

  auto again = restart(s);
  EXPECT_EQ(mine(again->port(), s.code, 0)["gut"], (json{{"choice", "refer"}}));
  EXPECT_EQ(mine(again->port(), s.code, 1)["gut"], (json{{"choice", "decline"}}));
  // The recovered session takes new votes after the ones it replayed.
  auto p2 = ws_client::connect(again->port());
  ASSERT_EQ(p2->request({{"type", "join"}, {"code", s.code}, {"token", token(2)}})["type"], "joined");
  EXPECT_EQ(vote(*p2, "c", "conditions")["type"], "ack");
  EXPECT_EQ(ballots(s.code), 3u);
}

TEST_F(JetStreamServe, AResendAfterARestartIsAckedAndAppliedOnce) {
  served_session s(with_nats());
  s.command({{"type", "open"}, {"question", "gut"}});
  auto p = s.join(0);
  ASSERT_EQ(vote(*p, "v1", "refer")["type"], "ack");
  auto again = restart(s);
  // The client did not see its ack (the server died) and sends the same vote again after reconnecting.
  auto back = ws_client::connect(again->port());
  ASSERT_EQ(back->request({{"type", "join"}, {"code", s.code}, {"token", token(0)}})["type"], "joined");
  EXPECT_EQ(vote(*back, "v1", "refer")["type"], "ack");
  EXPECT_EQ(ballots(s.code), 1u);
}

TEST_F(JetStreamServe, WithNatsGoneAVoteIsRefusedClearlyAndNothingAckedIsLost) {
  served_session s(with_nats());
  s.command({{"type", "open"}, {"question", "gut"}});
  auto p0 = s.join(0);
  auto p1 = s.join(1);
  ASSERT_EQ(vote(*p0, "a", "refer")["type"], "ack");
  nats.kill_hard();
  const auto refused = vote(*p1, "b", "decline");
  EXPECT_EQ(refused["type"], "error") << refused.dump();
  EXPECT_EQ(refused["code"], "internal") << refused.dump();
  EXPECT_EQ(refused.value("message", ""), "could not store it; send it again") << refused.dump();
  EXPECT_EQ(http_get(s.server->port(), "/livez").status, 200);  // the facilitator is still up,
  // and not ready while it cannot reach NATS: a load balancer sends its clients to another facilitator.
  EXPECT_EQ(http_get(s.server->port(), "/healthz").status, 503);
  nats.start();
  // The client resends as told; the room reloads from the stream once NATS is back, then acks.
  json resent;
  for (int i = 0; i < 100; ++i) {
    resent = vote(*p1, "b", "decline");
    if (resent["type"] == "ack") break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(resent["type"], "ack") << resent.dump();
  // The refused publish may have reached JetStream after all (resent by the NATS client on reconnect):
  // either way the ballot is there once.
  EXPECT_EQ(ballots(s.code), 2u);
  auto again = restart(s);
  EXPECT_EQ(mine(again->port(), s.code, 0)["gut"], (json{{"choice", "refer"}}));
  EXPECT_EQ(mine(again->port(), s.code, 1)["gut"], (json{{"choice", "decline"}}));
}

TEST(JetStreamStart, NoNatsServerAtTheAddressIsAOneLineErrorAtStart) {
  temp_dir dir;
  const std::string cmd = std::string("timeout 10 ") + ROUNDTABLE_BINARY_DIR + "/bin/facilitator serve --port 0 " +
                          "--scenarios " + test_scenarios + " --key " + test_key + " --nats nats://127.0.0.1:1 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[512];
  while (p && fgets(buf, sizeof buf, p)) out += buf;
  const int status = p ? pclose(p) : -1;
  EXPECT_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 1) << out;
  EXPECT_NE(out.find("cannot reach NATS at nats://127.0.0.1:1"), std::string::npos) << out;
  EXPECT_EQ(out.find("listening on"), std::string::npos) << out;
}
