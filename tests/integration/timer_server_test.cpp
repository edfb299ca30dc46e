// Timers that bend, against a real server (issue 11 item 5): `open` with seconds on an open round moves
// its end for everyone, the server closes it at the new time, a restart keeps it; a discussion's timer.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "served_session.hpp"

using namespace roundtable::test;

namespace {

bool is_round(const json& m, const std::string& status) {
  return m["type"] == "round" && m["question"] == "gut" && m["status"] == status;
}

}  // namespace

TEST(TimerServer, ShorteningAnOpenRoundClosesItAtTheNewTime) {
  served_session s({.scenario = "passes"});
  auto p = s.join(0);
  s.command({{"type", "open"}, {"question", "gut"}, {"seconds", 3600}});
  ASSERT_TRUE(p->wait_for([](const json& m) { return is_round(m, "open") && m["closes_in"] == 3600; }));
  const auto from = p->count();
  s.command({{"type", "open"}, {"question", "gut"}, {"seconds", 5}});
  const auto moved = p->wait_for([](const json& m) { return is_round(m, "open"); }, 5s, from);
  ASSERT_TRUE(moved);
  EXPECT_EQ((*moved)["round"], 1);  // the same round
  EXPECT_LE((*moved)["closes_in"].get<int>(), 5);
  EXPECT_TRUE(p->wait_for([](const json& m) { return is_round(m, "closed"); }, 9s, from));
  // The ballot count did not start again: the round is the one it was.
  const auto view = s.console->request({{"type", "attach"}, {"code", s.code}});
  EXPECT_EQ(view["session"]["questions"]["gut"]["round"], 1);
}

TEST(TimerServer, OpenWithoutSecondsOnAnOpenRoundStillChangesNothing) {
  served_session s({.scenario = "passes"});
  auto p = s.join(0);
  s.command({{"type", "open"}, {"question", "gut"}, {"seconds", 600}});
  ASSERT_TRUE(p->wait_for([](const json& m) { return is_round(m, "open"); }));
  const auto from = p->count();
  s.command({{"type", "open"}, {"question", "gut"}});
  // Bad seconds on an open round: the error, nothing moved.
  const auto bad = s.console->request({{"type", "open"}, {"code", s.code}, {"question", "gut"}, {"seconds", 4}});
  EXPECT_EQ(bad["code"], "bad_message");
  const auto view = s.console->request({{"type", "attach"}, {"code", s.code}});
  EXPECT_GT(view["session"]["questions"]["gut"]["closes_in"].get<int>(), 590);
  for (std::size_t i = from; i < p->received().size(); ++i)
    EXPECT_NE(p->received()[i]["type"], "round") << p->received()[i].dump();
}

TEST(TimerServer, ARestartKeepsTheNewTime) {
  served_session s({.scenario = "passes"});
  s.command({{"type", "open"}, {"question", "gut"}, {"seconds", 3600}});
  s.command({{"type", "open"}, {"question", "gut"}, {"seconds", 600}});
  const auto opts = s.server->opts();
  EXPECT_EQ(s.server->terminate(), 0);
  s.server = std::make_unique<server_process>(opts);
  auto console = ws_client::connect(s.server->port());
  ASSERT_EQ(console->request({{"type", "host"}, {"key", test_key}})["type"], "hosting");
  const auto view = console->request({{"type", "attach"}, {"code", s.code}});
  const int left = view["session"]["questions"]["gut"]["closes_in"].get<int>();
  EXPECT_LE(left, 600);
  EXPECT_GT(left, 500);
}

TEST(TimerServer, ADiscussionCarriesItsTimerToTheProjector) {
  served_session s({.scenario = "passes"});
  auto projector = ws_client::connect(s.server->port());
  ASSERT_EQ(projector->request({{"type", "watch"}, {"code", s.code}})["type"], "joined");
  s.command({{"type", "goto"}, {"stage", "talk"}});
  const auto stage = projector->wait_push("stage");
  ASSERT_TRUE(stage);
  EXPECT_EQ((*stage)["stage"]["seconds"], 120);
  EXPECT_LE((*stage)["stage"]["ends_in"].get<int>(), 120);
  EXPECT_GT((*stage)["stage"]["ends_in"].get<int>(), 100);
  // A late joiner gets the time left too.
  auto late = ws_client::connect(s.server->port());
  const auto joined = late->request({{"type", "watch"}, {"code", s.code}});
  EXPECT_EQ(joined["session"]["stage"]["seconds"], 120);
  EXPECT_LE(joined["session"]["stage"]["ends_in"].get<int>(), 120);
}
