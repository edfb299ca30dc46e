// presence_union: the distinct voters connected to any server of a session, kept as each server's set changes.
#include "presence_union.hpp"

#include <gtest/gtest.h>

using roundtable::voter_id;
using roundtable::facilitator::presence_union;
using roundtable::facilitator::sort_unique;

TEST(PresenceUnion, AVoterHeldByTwoSourcesCountsOnceUntilBothLetGo) {
  presence_union u;
  u.add(3);
  u.add(3);
  u.add(7);
  EXPECT_EQ(u.size(), 2u);
  u.remove(3);
  EXPECT_EQ(u.size(), 2u);
  u.remove(3);
  EXPECT_EQ(u.size(), 1u);
  EXPECT_EQ(u.ids(), (std::vector<voter_id>{7}));
}

TEST(PresenceUnion, ReplacingASourcesSetMovesOnlyWhatChanged) {
  presence_union u;
  u.add(1);  // held here too
  u.replace({}, {1, 2, 5});
  EXPECT_EQ(u.size(), 3u);
  u.replace({1, 2, 5}, {2, 9});
  EXPECT_EQ(u.ids(), (std::vector<voter_id>{1, 2, 9})) << "1 is still held here";
  u.replace({2, 9}, {});
  EXPECT_EQ(u.ids(), (std::vector<voter_id>{1}));
}

TEST(PresenceUnion, RemovingWhatNobodyHoldsChangesNothing) {
  presence_union u;
  u.remove(4);
  u.remove(100000);
  u.add(4);
  u.remove(4);
  u.remove(4);
  EXPECT_EQ(u.size(), 0u);
  EXPECT_TRUE(u.ids().empty());
}

TEST(PresenceUnion, SortUniqueMakesASourcesSet) {
  std::vector<voter_id> ids{5, 1, 5, 3, 1};
  sort_unique(ids);
  EXPECT_EQ(ids, (std::vector<voter_id>{1, 3, 5}));
}
