// A session purged on one of three `facilitator serve --nats` processes (issue 13) leaves the memory of the other
// two: no console there lists it or attaches to it, no participant rejoins it. The purging store's word on NATS is
// checked against the store, so a forged word forgets nothing.
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <iostream>
#include <sstream>
#include <thread>

#include "facilitator_cluster.hpp"
#include "harness.hpp"

using namespace roundtable::test;

namespace {

// True when the hosting reply of a console that hosts on `port` lists session `code`.
bool lists(unsigned short port, const std::string& code) {
  auto c = ws_client::connect(port);
  const auto hosting = c->request({{"type", "host"}, {"key", test_key}});
  for (const auto& s : hosting.value("sessions", json::array()))
    if (s.value("code", "") == code) return true;
  return false;
}

// True when the server logged that it forgot session `code`.
bool forgotten(const server_process& server, const std::string& code) {
  std::istringstream log(server.output());
  for (std::string line; std::getline(log, line);)
    if (line.find("session_forgotten") != std::string::npos && line.find("code=" + code) != std::string::npos)
      return true;
  return false;
}

}  // namespace

// Three facilitators serving one session whose participants are on all three; logs printed when a test fails.
class ClusterPurge : public ::testing::Test {
protected:
  void SetUp() override {
    for (std::size_t k = 0; k < 3; ++k) {
      people.push_back(s.join(k, static_cast<int>(k)));
      EXPECT_EQ(
          people.back()->request({{"type", "vote"}, {"question", "gut"}, {"ballot", {{"choice", "refer"}}}})["type"],
          "ack");
    }
  }
  void TearDown() override {
    if (HasFailure())
      for (auto& srv : s.servers) std::cerr << "--- a facilitator's log:\n" << srv->output();
  }
  cluster_session s;
  std::vector<std::shared_ptr<ws_client>> people;
};

TEST_F(ClusterPurge, ASessionPurgedOnOneServerLeavesTheOthersMemory) {
  s.command({{"type", "end"}});
  for (std::size_t k = 1; k < 3; ++k) ASSERT_TRUE(lists(s.port(k), s.code)) << "server " << k << " never held it";
  EXPECT_EQ(s.console->request({{"type", "purge"}, {"code", s.code}})["type"], "ack");
  for (std::size_t k = 1; k < 3; ++k) {
    EXPECT_TRUE(eventually([&] { return !lists(s.port(k), s.code); }, 10s))
        << "server " << k << " still holds the purged session";
    auto console = ws_client::connect(s.port(k));
    ASSERT_EQ(console->request({{"type", "host"}, {"key", test_key}})["type"], "hosting");
    EXPECT_EQ(console->request({{"type", "attach"}, {"code", s.code}})["code"], "unknown_code") << "server " << k;
    auto again = ws_client::connect(s.port(k));
    EXPECT_EQ(again->request({{"type", "join"}, {"code", s.code}, {"token", token(50 + k)}})["code"], "unknown_code")
        << "server " << k;
    EXPECT_TRUE(forgotten(*s.servers[k], s.code)) << "server " << k;
  }
  EXPECT_TRUE(s.stored().empty()) << "the stream still holds the session's events";
  EXPECT_FALSE(lists(s.port(0), s.code)) << "the purging server holds it";
}

TEST_F(ClusterPurge, AForgedWordOfAPurgeForgetsNothing) {
  // A second session, held on every server (a participant on each), ended: its real purge comes after the forged
  // words, so once the others forgot it, they had checked the forged ones (one subscription, one thread, in order).
  const auto other = s.console->request({{"type", "start"}, {"scenario", "demo"}, {"options", json::object()}});
  const std::string second = other.value("code", "");
  ASSERT_EQ(second.size(), 6u) << other.dump();
  for (std::size_t k = 1; k < 3; ++k) {
    auto c = ws_client::connect(s.port(k));
    ASSERT_EQ(c->request({{"type", "join"}, {"code", second}, {"token", token(60 + static_cast<int>(k))}})["type"],
              "joined");
  }
  ASSERT_EQ(s.console->request({{"type", "end"}, {"code", second}})["type"], "ack");
  natsConnection* nc = nullptr;
  ASSERT_EQ(natsConnection_ConnectTo(&nc, s.nats_urls().c_str()), NATS_OK);
  // The live session (many times over), a session nobody has, and junk: the store says none was purged.
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(natsConnection_PublishString(nc, "roundtable.purged", s.code.c_str()), NATS_OK);
  for (const auto* word : {"999999", "", "not a code at all", "../../etc"})
    EXPECT_EQ(natsConnection_PublishString(nc, "roundtable.purged", word), NATS_OK);
  EXPECT_EQ(natsConnection_FlushTimeout(nc, 2000), NATS_OK);
  natsConnection_Destroy(nc);
  EXPECT_EQ(s.console->request({{"type", "purge"}, {"code", second}})["type"], "ack");
  for (std::size_t k = 1; k < 3; ++k)
    EXPECT_TRUE(eventually([&] { return !lists(s.port(k), second); }, 10s))
        << "server " << k << " still holds the purged one";
  for (std::size_t k = 0; k < 3; ++k) {
    EXPECT_TRUE(lists(s.port(k), s.code)) << "server " << k << " forgot a live session";
    EXPECT_EQ(people[k]->request({{"type", "vote"}, {"question", "gut"}, {"ballot", {{"choice", "decline"}}}})["type"],
              "ack")
        << "server " << k;
    EXPECT_FALSE(forgotten(*s.servers[k], s.code)) << "server " << k;
  }
}
