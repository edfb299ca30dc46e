// Session-scoped co-host keys (cohost_keys.hpp): one per session, a new one replaces the old, forgetting ends it.
#include "cohost_keys.hpp"

#include <gtest/gtest.h>

#include "crypto.hpp"

namespace roundtable::facilitator {
namespace {

TEST(CohostKeys, AKeyFindsItsSessionOnly) {
  cohost_keys keys;
  const auto a = keys.mint("111111");
  const auto b = keys.mint("222222");
  EXPECT_EQ(a.size(), 32u);
  EXPECT_EQ(keys.find(a)->code, "111111");
  EXPECT_EQ(keys.find(b)->code, "222222");
  EXPECT_EQ(keys.find(a)->hash, crypto::sha256_hex(a));
  EXPECT_FALSE(keys.find(a.substr(1)));
  EXPECT_FALSE(keys.find(""));
  EXPECT_FALSE(keys.find(crypto::sha256_hex(a))) << "a hash is not a key";
}

TEST(CohostKeys, ANewKeyReplacesTheOld) {
  cohost_keys keys;
  const auto first = keys.mint("111111");
  const auto old_hash = keys.find(first)->hash;
  const auto second = keys.mint("111111");
  EXPECT_FALSE(keys.find(first));
  EXPECT_FALSE(keys.current("111111", old_hash));
  EXPECT_TRUE(keys.current("111111", keys.find(second)->hash));
  EXPECT_FALSE(keys.current("222222", keys.find(second)->hash)) << "a hash is current for its own session only";
}

TEST(CohostKeys, ForgettingASessionEndsItsKey) {
  cohost_keys keys;
  const auto key = keys.mint("111111");
  const auto hash = keys.find(key)->hash;
  keys.forget("111111");
  EXPECT_FALSE(keys.find(key));
  EXPECT_FALSE(keys.current("111111", hash));
}

}  // namespace
}  // namespace roundtable::facilitator
