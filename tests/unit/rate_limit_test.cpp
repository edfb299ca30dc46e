// The rate limiter with an injected clock: plain numbers of nanoseconds, no sleeping.
#include "rate_limit.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

using namespace roundtable::facilitator;

namespace {

constexpr nanos ms = 1'000'000;
constexpr nanos second = 1000 * ms;

}  // namespace

TEST(TokenBucket, AFullBurstPassesAndTheNextTakeIsRefused) {
  token_bucket b(30, 30, 0);
  for (int i = 0; i < 30; ++i) EXPECT_TRUE(b.take(0)) << i;
  EXPECT_FALSE(b.take(0));
  EXPECT_FALSE(b.take(0));
}

TEST(TokenBucket, RefillsAtItsRateAndNeverBeyondTheBurst) {
  token_bucket b(30, 30, 0);
  for (int i = 0; i < 30; ++i) b.take(0);
  // One token every 1/30 s.
  EXPECT_FALSE(b.take(33 * ms));
  EXPECT_TRUE(b.take(34 * ms));
  EXPECT_FALSE(b.take(34 * ms));
  // A long pause refills to the burst only.
  int taken = 0;
  while (b.take(3600 * second)) ++taken;
  EXPECT_EQ(taken, 30);
}

TEST(TokenBucket, ThirtyAtEachSecondBoundaryAreAllAccepted) {
  // 30 at t=0, 30 at t=1 s, 30 at t=2 s: at most 30 in any one-second window [t, t+1).
  token_bucket b(30, 30, 0);
  for (int s = 0; s < 5; ++s)
    for (int i = 0; i < 30; ++i) EXPECT_TRUE(b.take(s * second)) << s << "/" << i;
  EXPECT_FALSE(b.take(4 * second));
}

TEST(TokenBucket, NeverRefusesRandomTrafficWithinThirtyInAnySecond) {
  // Random arrival times, filtered so that no half-open one-second window holds more than 30.
  std::mt19937_64 rng(42);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<nanos> times;
    nanos t = 0;
    std::uniform_int_distribution<nanos> gap(0, 80 * ms);
    while (times.size() < 2000) {
      t += gap(rng);
      // Admit t only if the window (t - 1 s, t] keeps at most 30.
      std::size_t in_window = 0;
      for (auto it = times.rbegin(); it != times.rend() && *it > t - second; ++it) ++in_window;
      if (in_window < 30) times.push_back(t);
    }
    token_bucket b(30, 30, 0);
    for (std::size_t i = 0; i < times.size(); ++i) ASSERT_TRUE(b.take(times[i])) << "trial " << trial << " #" << i;
  }
}

TEST(TokenBucket, AFloodGetsAboutTheRateThrough) {
  token_bucket b(30, 30, 0);
  int accepted = 0;
  // 10,000 messages over 10 s (1,000 a second): 30 at once, then 30 a second.
  for (int i = 0; i < 10000; ++i) accepted += b.take(i * ms) ? 1 : 0;
  EXPECT_GE(accepted, 30 + 299);
  EXPECT_LE(accepted, 30 + 300);
}

TEST(TokenBucket, TimeGoingBackwardsGrantsNothing) {
  token_bucket b(2, 2, 10 * second);
  EXPECT_TRUE(b.take(10 * second));
  EXPECT_TRUE(b.take(10 * second));
  EXPECT_FALSE(b.take(5 * second));
  EXPECT_FALSE(b.take(10 * second));
}

TEST(FailureWindow, LimitedAfterMaxFailuresUntilTheOldestLeavesTheWindow) {
  failure_window w(5, 60 * second);
  for (int i = 0; i < 4; ++i) w.record(i * second);
  EXPECT_FALSE(w.limited(4 * second));
  w.record(4 * second);
  EXPECT_TRUE(w.limited(4 * second));
  EXPECT_TRUE(w.limited(59 * second));
  // The first failure (t=0) leaves the window at t=60 s: room for one more.
  EXPECT_FALSE(w.limited(60 * second));
  w.record(60 * second);
  EXPECT_TRUE(w.limited(60 * second));
  EXPECT_EQ(w.count(60 * second), 5u);
  EXPECT_TRUE(w.idle(200 * second));
}

TEST(FailureWindow, RemembersAtMostMaxTimes) {
  failure_window w(3, 60 * second);
  for (int i = 0; i < 1000; ++i) w.record(i * ms);
  EXPECT_EQ(w.count(1 * second), 3u);
  EXPECT_EQ(w.last(), 999 * ms);
}

TEST(FailureTable, KeysAreIndependent) {
  failure_table t(2, 60 * second, 100);
  t.record("a", 0);
  t.record("a", 0);
  EXPECT_TRUE(t.limited("a", 1));
  EXPECT_FALSE(t.limited("b", 1));
  EXPECT_FALSE(t.limited("a", 60 * second));
}

TEST(FailureTable, StaysBoundedAndEvictsTheStalestFirst) {
  failure_table t(1, 60 * second, 100);
  for (int i = 0; i < 100; ++i) t.record("k" + std::to_string(i), i * ms);
  EXPECT_EQ(t.size(), 100u);
  // Full and nothing expired: the stalest ("k0") goes, the newest stays limited.
  t.record("new", 200 * ms);
  EXPECT_EQ(t.size(), 100u);
  EXPECT_FALSE(t.limited("k0", 201 * ms));
  EXPECT_TRUE(t.limited("k99", 201 * ms));
  EXPECT_TRUE(t.limited("new", 201 * ms));
  // Once everything expired, a new key sweeps the table.
  t.record("later", 120 * second);
  EXPECT_EQ(t.size(), 1u);
  // A million distinct keys never hold more than the bound.
  for (int i = 0; i < 100000; ++i) t.record(std::to_string(i), 200 * second + i);
  EXPECT_LE(t.size(), 100u);
}

TEST(FailureTable, ForgetsIdleKeysWhenAsked) {
  failure_table t(3, 10 * second, 100);
  t.record("x", 0);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_FALSE(t.limited("x", 11 * second));
  EXPECT_EQ(t.size(), 0u);
}

TEST(RefusalStreak, RefusalsLessThanASecondApartAreOneStretchAndAPauseEndsIt) {
  refusal_streak streak;
  EXPECT_EQ(streak.refused(10 * second), 0);
  // A flood: refused every 40 ms for 6 s (the bucket lets some through in between).
  nanos lasted = 0;
  for (nanos t = 10 * second; t <= 16 * second; t += 40 * ms) lasted = streak.refused(t);
  EXPECT_EQ(lasted, 6 * second);
  // A second and a bit without refusals: a new stretch.
  EXPECT_EQ(streak.refused(17 * second + 1), 0);
  // A burst of 31 once a second is over the rate every second: still one stretch.
  refusal_streak burst;
  for (int s = 0; s < 6; ++s) lasted = burst.refused(s * second);
  EXPECT_EQ(lasted, 5 * second);
}
