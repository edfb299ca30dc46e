// Attacks on the rate limits of protocol.md "Limits", against a real server process.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "harness.hpp"

using namespace roundtable::test;
using clk = std::chrono::steady_clock;

TEST(Limits, FortyWrongCodesOnOneConnectionAreCutAtFiveAndTheRightCodeIsRefusedToo) {
  served_session s;
  auto guesser = ws_client::connect(s.server->port());
  int unknown = 0, limited = 0;
  for (int i = 0; i < 40; ++i) {
    const auto r = guesser->request({{"type", "join"}, {"code", wrong_code(s.code, i)}, {"token", token(1)}});
    ASSERT_EQ(r["type"], "error") << r.dump();
    if (r["code"] == "unknown_code") ++unknown;
    if (r["code"] == "rate_limited") ++limited;
    // The first five are answered honestly; from the sixth on, nothing is looked up.
    EXPECT_EQ(r["code"], i < 5 ? "unknown_code" : "rate_limited") << i;
  }
  EXPECT_EQ(unknown, 5);
  EXPECT_EQ(limited, 35);
  // The right code on the limited connection: refused the same way, so it tells nothing.
  std::this_thread::sleep_for(1100ms);  // out of the message bucket's reach
  const auto right = guesser->request({{"type", "join"}, {"code", s.code}, {"token", token(1)}});
  EXPECT_EQ(right["code"], "rate_limited") << right.dump();
  EXPECT_FALSE(guesser->closed());
  // Another connection from the same address (5 failures < 60) joins at once.
  EXPECT_TRUE(s.join(2));
  EXPECT_GE(metric(s.server->port(), "roundtable_limited_total"), 36);
  EXPECT_EQ(http_get(s.server->port(), "/healthz").status, 200);
}

TEST(Limits, SixtyWrongCodesFromOneAddressLockItOutForTheWindowThenItRecovers) {
  served_session s({.extra = {"--failure-window", "3"}});
  // Twelve connections, five wrong codes each: 60 from 127.0.0.1.
  for (int k = 0; k < 12; ++k) {
    auto c = ws_client::connect(s.server->port());
    for (int i = 0; i < 5; ++i) {
      const auto r = c->request({{"type", "watch"}, {"code", wrong_code(s.code, k * 5 + i)}});
      EXPECT_EQ(r["code"], "unknown_code") << k << "/" << i;
    }
  }
  // Now every join or watch from the address is refused, the right code included.
  auto late = ws_client::connect(s.server->port());
  EXPECT_EQ(late->request({{"type", "join"}, {"code", s.code}, {"token", token(3)}})["code"], "rate_limited");
  EXPECT_EQ(late->request({{"type", "watch"}, {"code", s.code}})["code"], "rate_limited");
  // The facilitator is not locked out by participants' typos (a separate limit).
  auto console = ws_client::connect(s.server->port());
  EXPECT_EQ(console->request({{"type", "host"}, {"key", test_key}})["type"], "hosting");
  // Once the window has passed, the same address joins again.
  std::this_thread::sleep_for(3200ms);
  const auto joined = late->request({{"type", "join"}, {"code", s.code}, {"token", token(3)}});
  EXPECT_EQ(joined["type"], "joined") << joined.dump();
}

TEST(Limits, AClassroomBehindOneAddressWithAFewTyposIsNotLockedOut) {
  served_session s;
  // 40 participants share 127.0.0.1 (one NAT address); each mistypes once, one of them four times.
  std::vector<std::shared_ptr<ws_client>> room;
  for (int i = 0; i < 40; ++i) {
    auto c = ws_client::connect(s.server->port());
    const int typos = i == 7 ? 4 : 1;
    for (int t = 0; t < typos; ++t)
      EXPECT_EQ(c->request({{"type", "join"}, {"code", wrong_code(s.code, i * 5 + t)}, {"token", token(i)}})["code"],
                "unknown_code");
    const auto r = c->request({{"type", "join"}, {"code", s.code}, {"token", token(i)}});
    EXPECT_EQ(r["type"], "joined") << i << " " << r.dump();
    room.push_back(c);
  }
  const auto presence =
      s.console->wait_for([](const json& m) { return m["type"] == "presence" && m["participants"] == 40; });
  EXPECT_TRUE(presence);
}

TEST(Limits, FiveWrongKeysFromAnAddressRefuseTheRightKeyUntilTheWindowPasses) {
  served_session s({.extra = {"--failure-window", "3"}});
  auto intruder = ws_client::connect(s.server->port());
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(intruder->request({{"type", "host"}, {"key", "guess-" + std::to_string(i)}})["code"], "unauthorized");
  // The sixth try, from any connection of the address, is refused whatever the key.
  EXPECT_EQ(intruder->request({{"type", "host"}, {"key", "guess-6"}})["code"], "rate_limited");
  auto other = ws_client::connect(s.server->port());
  EXPECT_EQ(other->request({{"type", "host"}, {"key", test_key}})["code"], "rate_limited");
  // The console that was already hosting carries on: its commands are not host attempts.
  s.command({{"type", "goto"}, {"stage", "gut"}});
  std::this_thread::sleep_for(3200ms);
  EXPECT_EQ(other->request({{"type", "host"}, {"key", test_key}})["type"], "hosting");
  // The key never shows in the server's output (it came from the flag, not generated).
  EXPECT_EQ(s.server->output().find(test_key), std::string::npos);
}

TEST(Limits, ThirtyMessagesInASecondAreNeverRefused) {
  served_session s;
  s.command({{"type", "open"}, {"question", "gut"}});
  auto p = s.join(1);
  static const char* choices[] = {"decline", "conditions", "refer"};
  for (int burst = 0; burst < 3; ++burst) {
    std::this_thread::sleep_for(1050ms);  // the join, or the last burst, is a second ago
    const auto from = p->count();
    for (int i = 0; i < 30; ++i)
      p->send({{"type", "vote"},
               {"id", "b" + std::to_string(burst) + "-" + std::to_string(i)},
               {"question", "gut"},
               {"ballot", {{"choice", choices[i % 3]}}}});
    int acks = 0;
    for (int i = 0; i < 30; ++i) {
      const auto id = "b" + std::to_string(burst) + "-" + std::to_string(i);
      const auto r = p->wait_for([&](const json& m) { return m.value("id", "") == id; }, 5s, from);
      ASSERT_TRUE(r) << id;
      EXPECT_EQ((*r)["type"], "ack") << r->dump();
      acks += (*r)["type"] == "ack";
    }
    EXPECT_EQ(acks, 30);
  }
}

TEST(Limits, AVoteFloodIsLimitedWhileACalmParticipantIsAnsweredWithin500ms) {
  served_session s;
  s.command({{"type", "open"}, {"question", "gut"}});
  auto flooder = s.join(1);
  auto calm = s.join(2);
  std::atomic<bool> stop{false};
  std::atomic<long> sent_total{0};
  const auto flood_start = clk::now();
  std::thread flood([&] {
    int i = 0;
    while (!stop.load()) {
      // About 10,000 a second, without waiting for replies.
      for (int k = 0; k < 100; ++k, ++i)
        flooder->send_raw(std::string(R"({"type":"vote","id":"f)") + std::to_string(i) +
                          R"(","question":"gut","ballot":{"choice":")" + (i % 2 ? "refer" : "decline") + "\"}}");
      sent_total = i;
      std::this_thread::sleep_for(10ms);
    }
  });
  std::this_thread::sleep_for(200ms);
  clk::duration worst{};
  for (int i = 0; i < 20; ++i) {
    const auto t0 = clk::now();
    const auto r = calm->request(
        {{"type", "vote"}, {"question", "gut"}, {"ballot", {{"choice", i % 2 ? "refer" : "conditions"}}}});
    const auto took = clk::now() - t0;
    worst = std::max(worst, took);
    EXPECT_EQ(r["type"], "ack") << r.dump();
    EXPECT_LT(took, 500ms) << "calm vote " << i;
    std::this_thread::sleep_for(100ms);
  }
  stop = true;
  flood.join();
  // Wait until the server has answered every flood frame (it may still be reading its backlog),
  // then count: the bucket's bound holds over the time the server spent on them.
  const long sent = sent_total.load();
  int acks = 0, limited = 0;
  for (int wait = 0; wait < 600; ++wait) {
    acks = limited = 0;
    for (const auto& m : flooder->received()) {
      if (m.value("type", "") == "ack") ++acks;
      if (m.value("code", "") == "rate_limited") ++limited;
    }
    if (acks + limited >= sent || flooder->closed()) break;
    std::this_thread::sleep_for(50ms);
  }
  const double flood_seconds = std::chrono::duration<double>(clk::now() - flood_start).count();
  // Either every flood frame got its answer, or the flooder did not read its answers fast
  // enough and was cut off as too slow (1008): both are the server defending itself.
  const bool cut_off = flooder->closed();
  if (cut_off) {
    EXPECT_EQ(flooder->close_code(), 1008);
  } else {
    EXPECT_EQ(acks + limited, sent) << "every flood frame gets its answer";
  }
  std::cout << "flood: " << sent << " sent, " << acks << " acked, " << limited << " rate_limited in " << flood_seconds
            << " s; calm worst " << std::chrono::duration_cast<std::chrono::milliseconds>(worst).count() << " ms\n";
  EXPECT_GT(limited, 1000);
  // The burst, then 30 a second while the server worked through the flood.
  EXPECT_LE(acks, 30 + 30 * (flood_seconds + 0.2)) << flood_seconds << " s of flooding";
  EXPECT_GE(metric(s.server->port(), "roundtable_limited_total"), limited);
  EXPECT_EQ(http_get(s.server->port(), "/healthz").status, 200);
  // The flooder is still a participant in good standing once it calms down (on its connection,
  // or on a new one if it was cut off).
  std::this_thread::sleep_for(1100ms);
  if (cut_off) flooder = s.join(1);
  EXPECT_EQ(flooder->request({{"type", "vote"}, {"question", "gut"}, {"ballot", {{"choice", "refer"}}}})["type"],
            "ack");
}

TEST(Limits, WrongKeysOnTheExportApiCountAsWrongKeysToo) {
  served_session s({.extra = {"--failure-window", "3"}});
  const auto target = "/api/sessions/" + s.code + "/export.json";
  for (int i = 0; i < 5; ++i) EXPECT_EQ(http_get(s.server->port(), target, "guess-" + std::to_string(i)).status, 401);
  // Limited: the right key is refused too, over HTTP and over the WebSocket.
  EXPECT_EQ(http_get(s.server->port(), target, test_key).status, 429);
  auto other = ws_client::connect(s.server->port());
  EXPECT_EQ(other->request({{"type", "host"}, {"key", test_key}})["code"], "rate_limited");
  // Pages and health are not behind the limit.
  EXPECT_EQ(http_get(s.server->port(), "/healthz").status, 200);
  std::this_thread::sleep_for(3200ms);
  EXPECT_EQ(http_get(s.server->port(), target, test_key).status, 200);
}
