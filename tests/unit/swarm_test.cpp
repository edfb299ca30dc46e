// The swarm's pure parts: reading the server's pushes whatever their key order, its flags, and
// its counters' vote-to-results figure.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "roundtable/command_line.hpp"
#include "swarm_options.hpp"
#include "swarm_push.hpp"
#include "swarm_stats.hpp"

namespace roundtable::participant {
namespace {

TEST(SwarmPush, ReadsTheServersSortedFrames) {
  // As the server writes them today (nlohmann dumps: keys sorted).
  const auto p = scan_push(R"({"ballots":3,"code":"482913","question":"gut","round":1,"suppressed":false,)"
                           R"("tally":{"consensus":0.42,"counts":{"conditions":0,"decline":1,"refer":2}},)"
                           R"("type":"results"})");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->type, "results");
  EXPECT_EQ(p->question, "gut");
  EXPECT_EQ(p->ballots, 3);
  const auto q = scan_push(R"({"ballots":17,"question":"gut","round":1,"type":"progress"})");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->type, "progress");
  EXPECT_EQ(q->question, "gut");
  EXPECT_EQ(q->ballots, 17);
}

TEST(SwarmPush, ReadsKeysInAnyOrderWithExtraKeys) {
  // As the protocol document shows them (type first), with a new key and nested look-alikes.
  const auto p =
      scan_push(R"({"type":"results","added":{"type":"progress","ballots":99,"question":"other","list":[1,{"a":"}"}]},)"
                R"("code":"482913","note":"a \"quoted\" {brace} [bracket], \\","question":"gut","round":2,)"
                R"("ballots":41,"suppressed":false,"tally":{"counts":{"x":1}},"ratio":0.5,"ok":true,"none":null})");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->type, "results");
  EXPECT_EQ(p->question, "gut");
  EXPECT_EQ(p->ballots, 41);
  // White space between tokens, as another writer may put it.
  const auto q = scan_push("{ \"question\" : \"gut\" ,\n \"ballots\" : 5 , \"type\" : \"progress\" }\n");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->type, "progress");
  EXPECT_EQ(q->question, "gut");
  EXPECT_EQ(q->ballots, 5);
}

TEST(SwarmPush, AgreesWithAFullParseOnReshuffledFrames) {
  // Every rotation of the members of one frame reads the same.
  const std::vector<std::string> members = {R"("type":"results")",
                                            R"("question":"q-2")",
                                            R"("ballots":1234)",
                                            R"("round":3)",
                                            R"("tally":{"ballots":1,"type":"x"})",
                                            R"("shift":{"transitions":{"a":[1,2]}})"};
  for (std::size_t r = 0; r < members.size(); ++r) {
    std::string frame = "{";
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (i) frame += ",";
      frame += members[(i + r) % members.size()];
    }
    frame += "}";
    const auto full = nlohmann::json::parse(frame);
    const auto p = scan_push(frame);
    ASSERT_TRUE(p) << frame;
    EXPECT_EQ(p->type, full["type"].get<std::string>()) << frame;
    EXPECT_EQ(p->question, full["question"].get<std::string>()) << frame;
    EXPECT_EQ(p->ballots, full["ballots"].get<long>()) << frame;
  }
}

TEST(SwarmPush, FramesWithoutTheFieldsLeaveThemEmpty) {
  const auto ack = scan_push(R"({"id":"v1","type":"ack"})");
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->type, "ack");
  EXPECT_EQ(ack->question, "");
  EXPECT_EQ(ack->ballots, -1);
  // Fields of the wrong kind are skipped, not misread.
  const auto odd = scan_push(R"({"type":7,"question":{"id":"gut"},"ballots":2.5})");
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->type, "");
  EXPECT_EQ(odd->question, "");
  EXPECT_EQ(odd->ballots, -1);
  const auto empty = scan_push("{}");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->type, "");
}

TEST(SwarmPush, MalformedFramesAreRefused) {
  for (const char* bad :
       {"", "[]", "\"results\"", "{", R"({"type":"results")", R"({"type":"results",})", R"({"type" "results"})",
        R"({"type":"results"} x)", R"({"ballots":3,"tally":{"a":[1,2})", R"({"type":"res)", R"({type:"results"})"})
    EXPECT_FALSE(scan_push(bad)) << bad;
}

TEST(SwarmPush, MissingMembersReadAsEmptyObjects) {
  const auto m = nlohmann::json::parse(R"({"type":"joined","session":{"min_group":4},"stage":"not an object"})");
  EXPECT_EQ(object_member(m, "session").value("min_group", 3), 4);
  EXPECT_TRUE(object_member(m, "stage").empty());
  EXPECT_EQ(object_member(m, "missing").value("min_group", 3), 3);
  EXPECT_TRUE(object_member(nlohmann::json::array(), "session").is_object());
}

TEST(SwarmOptions, DefaultsFollowTheCount) {
  const auto o =
      parse_swarm_options({"--server", "ws://127.0.0.1:8080/ws", "--code", "123456", "--count", "4000"}, std::cout);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->count, 4000);
  EXPECT_EQ(o->code, "123456");
  EXPECT_FALSE(o->hosts());
  EXPECT_EQ(o->expect, 4000);
  EXPECT_EQ(o->open_at, 4000);
  EXPECT_EQ(o->repeat, 1);
  EXPECT_DOUBLE_EQ(o->timeout, 4000 / 2000.0 + 2 + 60);  // joins at the ramp, the window, a minute
  EXPECT_FALSE(parse_swarm_options({"--help"}, std::cout));
}

TEST(SwarmOptions, KeyAndSourcesAreChecked) {
  const auto o =
      parse_swarm_options({"--server", "ws://127.0.0.1:8080/ws", "--key", "k", "--scenario", "warm-up", "--count", "10",
                           "--open-at", "30", "--close", "--source-ips", "127.0.0.2-127.0.0.4,::1"},
                          std::cout);
  ASSERT_TRUE(o);
  EXPECT_TRUE(o->hosts());
  EXPECT_EQ(o->open_at, 30);
  EXPECT_TRUE(o->close_round);
  ASSERT_EQ(o->sources.size(), 4u);
  EXPECT_EQ(o->sources[2].to_string(), "127.0.0.4");
  EXPECT_THROW(parse_swarm_options(
                   {"--server", "ws://127.0.0.1:8080/ws", "--code", "123456", "--count", "5", "--close"}, std::cout),
               cli::usage_error);
  EXPECT_THROW(parse_sources("127.0.0.9-127.0.0.2"), cli::usage_error);
}

TEST(SwarmCounters, VoteToResultsPairsTheKthAckWithTheFirstPushCountingK) {
  using clock = swarm_counters::clock;
  const auto t0 = clock::now();
  const auto at = [t0](int ms) { return t0 + std::chrono::milliseconds(ms); };
  swarm_counters c(4);
  c.set_min_group(2, false);
  c.set_min_group(5, true);  // a participant's view does not override the facilitator's
  for (int i = 0; i < 4; ++i) c.acked(true, at(10 * i), at(10 * i + 5));
  EXPECT_TRUE(c.results_short());
  EXPECT_TRUE(c.results(2, at(100)));   // counts votes 1 and 2
  EXPECT_FALSE(c.results(1, at(110)));  // older news
  EXPECT_TRUE(c.results(3, at(200)));   // vote 3 = N - min_group + 1, the last measured
  EXPECT_FALSE(c.results_short());
  const auto r = c.report();
  EXPECT_EQ(r.min_group, 2);
  EXPECT_EQ(r.acked, 4);
  EXPECT_EQ(r.results_pushes, 3);
  EXPECT_EQ(r.results_missing, 0);
  EXPECT_EQ(r.results.count, 3);
  EXPECT_DOUBLE_EQ(r.results.max, 180);  // vote 3 sent at 20 ms, counted at 200 ms
  EXPECT_TRUE(c.progress(3));
  EXPECT_FALSE(c.progress(2));
  EXPECT_EQ(c.max_progress(), 3);
}

}  // namespace
}  // namespace roundtable::participant
