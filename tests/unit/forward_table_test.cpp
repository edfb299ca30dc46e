// forward_table: the rules of forwarding to one writer (room_forwarding.cpp), with the time passed in. The real
// servers, NATS and the failures that exercise them are in tests/integration/cluster_forwarding_test.cpp.
#include "forward_table.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using roundtable::facilitator::forward_table;
using namespace std::chrono_literals;

namespace {

class ForwardTable : public ::testing::Test {
protected:
  forward_table table;
  const forward_table::clock::time_point t0 = forward_table::clock::now();

  /// Forwards one vote of voter to writer, sent at `at`; its token.
  std::uint64_t send(const std::string& voter, const std::string& writer, forward_table::clock::time_point at) {
    const auto token = table.next_token();
    table.add(token, {nullptr, "id-" + std::to_string(token), voter,
                      roundtable::protocol::vote{"q", nlohmann::json::object()}, at, writer});
    return token;
  }
  static std::vector<std::string> voters(const std::vector<forward_table::forwarding>& fs) {
    std::vector<std::string> out;
    for (const auto& f : fs) out.push_back(f.voter);
    return out;
  }
  forward_table::answer answer_for(const std::string& voter) {
    return {{nullptr, std::nullopt, voter, roundtable::protocol::vote{}, t0, "w"}, "{\"type\":\"ack\"}", false};
  }
};

TEST_F(ForwardTable, TokensStartAfterThePingsAndNeverRepeat) {
  const auto a = table.next_token();
  const auto b = table.next_token();
  EXPECT_NE(a, 0u) << "0 is the ping's token";
  EXPECT_LT(a, b);
}

TEST_F(ForwardTable, AVotersNextRequestsFollowTheirForwardsInFlightUntilTheLastIsAnswered) {
  const auto first = send("v1", "writer-a", t0);
  const auto second = send("v1", "writer-a", t0);
  ASSERT_NE(table.in_flight("v1"), nullptr);
  EXPECT_EQ(*table.in_flight("v1"), "writer-a");
  EXPECT_EQ(table.in_flight("v2"), nullptr);
  EXPECT_EQ(table.take(first).id, "id-" + std::to_string(first));
  ASSERT_NE(table.in_flight("v1"), nullptr) << "one of theirs is still on its way";
  table.take(second);
  EXPECT_EQ(table.in_flight("v1"), nullptr);
  EXPECT_EQ(table.find(second), nullptr);
  EXPECT_TRUE(table.empty());
}

TEST_F(ForwardTable, AGoneWritersForwardsAreTakenInTheOrderTheyWereSentAndNoOthers) {
  send("v1", "writer-a", t0);
  send("v2", "writer-b", t0);
  send("v3", "writer-a", t0);
  send("v1", "writer-a", t0);
  table.pinged("writer-a", t0);
  // The string handed in may be a forward's own, which the taking erases.
  const std::string& writer = table.find(1)->writer;
  EXPECT_EQ(voters(table.take_all_for(writer)), (std::vector<std::string>{"v1", "v3", "v1"}));
  EXPECT_EQ(table.ping_waiting(), nullptr) << "the ping to the gone writer is forgotten";
  EXPECT_EQ(table.in_flight("v1"), nullptr);
  EXPECT_FALSE(table.empty());
  EXPECT_EQ(voters(table.take_all_for("writer-b")), (std::vector<std::string>{"v2"}));
}

TEST_F(ForwardTable, AForwardExpiresAfterAMinuteNotBefore) {
  send("v1", "w", t0);
  send("v2", "w", t0 + 30s);
  EXPECT_TRUE(table.take_expired(t0 + forward_table::forward_limit - 1ms).empty());
  EXPECT_EQ(voters(table.take_expired(t0 + forward_table::forward_limit)), (std::vector<std::string>{"v1"}));
  EXPECT_EQ(voters(table.take_expired(t0 + 30s + forward_table::forward_limit)), (std::vector<std::string>{"v2"}));
}

TEST_F(ForwardTable, ASilentWriterIsPingedOnceAndGoneWhenThePingGoesUnanswered) {
  EXPECT_FALSE(table.ping_due(t0 + 1h)) << "nothing waits: nobody to ping";
  send("v1", "w", t0);
  EXPECT_FALSE(table.ping_due(t0 + forward_table::writer_silence - 1ms));
  const auto pinged_at = t0 + forward_table::writer_silence;
  ASSERT_EQ(table.ping_due(pinged_at), "w");
  table.pinged("w", pinged_at);
  EXPECT_FALSE(table.ping_due(pinged_at + 1s)) << "one ping at a time";
  EXPECT_FALSE(table.ping_unanswered(pinged_at + forward_table::writer_silence - 1ms));
  EXPECT_EQ(table.ping_unanswered(pinged_at + forward_table::writer_silence), "w");
}

TEST_F(ForwardTable, AWriterThatAnswersIsNotPingedAndItsPingIsForgotten) {
  send("v1", "w", t0);
  table.heard("w", t0 + 4s);  // it answered another forward
  EXPECT_FALSE(table.ping_due(t0 + forward_table::writer_silence)) << "busy, not gone";
  table.pinged("w", t0 + 9s);
  table.heard("w", t0 + 10s);  // the pong
  EXPECT_EQ(table.ping_waiting(), nullptr);
  EXPECT_FALSE(table.ping_unanswered(t0 + 20s));
}

TEST_F(ForwardTable, TheWriterThatAnswersStaysTheWriterUntilSilentOrASmallerIdIsThere) {
  const std::string smaller = "a-server", same = "m-server", larger = "z-server";
  EXPECT_FALSE(table.answering(nullptr, t0)) << "nobody answered yet";
  table.heard(same, t0);
  EXPECT_EQ(table.answering(nullptr, t0 + 1s), same) << "its presence came late: still the writer";
  EXPECT_EQ(table.answering(&larger, t0 + 1s), same);
  EXPECT_EQ(table.answering(&same, t0 + 1s), same);
  EXPECT_FALSE(table.answering(&smaller, t0 + 1s)) << "a server ahead in line takes over";
  EXPECT_FALSE(table.answering(nullptr, t0 + forward_table::writer_silence)) << "silent: presence decides again";
}

TEST_F(ForwardTable, APauseLastsFiveSecondsAndOnlyItsStartIsWorthALogLine) {
  EXPECT_FALSE(table.paused(t0));
  EXPECT_TRUE(table.pause(t0));
  EXPECT_FALSE(table.pause(t0 + 1s)) << "already paused: no second log line";
  EXPECT_TRUE(table.paused(t0 + 1s + forward_table::forwarding_pause - 1ms)) << "the pause runs from the last";
  EXPECT_FALSE(table.paused(t0 + 1s + forward_table::forwarding_pause));
}

TEST_F(ForwardTable, AVoterDecidedHereStaysHereForFifteenSeconds) {
  table.decided_here("v1", t0);
  table.decided_here("v2", t0 + 10s);
  EXPECT_TRUE(table.decided_here_lately("v1"));
  table.forget_decided_here(t0 + forward_table::decided_here_kept - 1ms);
  EXPECT_TRUE(table.decided_here_lately("v1"));
  table.forget_decided_here(t0 + forward_table::decided_here_kept);
  EXPECT_FALSE(table.decided_here_lately("v1"));
  EXPECT_TRUE(table.decided_here_lately("v2"));
}

TEST_F(ForwardTable, AnswersGoInArrivalOrderOnceTheirEventsAreFolded) {
  EXPECT_TRUE(table.can_send(5, 5));
  EXPECT_FALSE(table.can_send(6, 5)) << "its events are not folded here yet";
  table.park(answer_for("v1"), 8, t0);
  EXPECT_FALSE(table.can_send(3, 10)) << "one waits before it: the order of a voter's answers is kept";
  table.park(answer_for("v2"), 6, t0);
  EXPECT_TRUE(table.releasable(7, false, t0).empty()) << "the first waits for event 8, the second behind it";
  const auto both = table.releasable(8, false, t0);
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0].f.voter, "v1");
  EXPECT_EQ(both[1].f.voter, "v2");
  EXPECT_FALSE(table.answers_parked());
}

TEST_F(ForwardTable, AnAnswerWhoseEventsNeverComeGoesAfterFiveSecondsWhenOverdueIsAsked) {
  table.park(answer_for("v1"), 100, t0);
  EXPECT_TRUE(table.releasable(1, true, t0 + forward_table::writer_silence - 1ms).empty());
  EXPECT_TRUE(table.releasable(1, false, t0 + 1h).empty()) << "a fold releases only what it folded";
  EXPECT_EQ(table.releasable(1, true, t0 + forward_table::writer_silence).size(), 1u);
}

}  // namespace
