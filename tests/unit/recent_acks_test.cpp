// The room's memory of votes acked without an event: per voter, bounded, exact on request and content.
#include "recent_acks.hpp"

#include <gtest/gtest.h>

#include <string>

using roundtable::facilitator::recent_acks;

TEST(RecentAcks, KnowsARequestOnlyWithItsContentAndVoter) {
  recent_acks acks;
  acks.remember("voter-a", "r1", "gut|{\"choice\":\"refer\"}");
  EXPECT_TRUE(acks.contains("voter-a", "r1", "gut|{\"choice\":\"refer\"}"));
  EXPECT_FALSE(acks.contains("voter-a", "r1", "gut|{\"choice\":\"decline\"}"));
  EXPECT_FALSE(acks.contains("voter-a", "r2", "gut|{\"choice\":\"refer\"}"));
  EXPECT_FALSE(acks.contains("voter-b", "r1", "gut|{\"choice\":\"refer\"}"));
}

TEST(RecentAcks, KeepsTheLastEightOfEachVoter) {
  recent_acks acks;
  for (int i = 0; i < 9; ++i) acks.remember("voter-a", "r" + std::to_string(i), "same");
  acks.remember("voter-b", "r0", "same");
  EXPECT_FALSE(acks.contains("voter-a", "r0", "same")) << "the ninth pushed out the first";
  for (int i = 1; i < 9; ++i) EXPECT_TRUE(acks.contains("voter-a", "r" + std::to_string(i), "same")) << i;
  EXPECT_TRUE(acks.contains("voter-b", "r0", "same")) << "each voter has a window of their own";
  // Remembering a known request again does not use up the window.
  acks.remember("voter-a", "r8", "same");
  EXPECT_TRUE(acks.contains("voter-a", "r1", "same"));
}
