#include "crypto.hpp"

#include <gtest/gtest.h>

#include <array>
#include <set>
#include <string>

namespace crypto = roundtable::crypto;

namespace {

TEST(Crypto, HmacSha256MatchesRfc4231TestCase2) {
  EXPECT_EQ(crypto::hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Crypto, HmacSha256MatchesRfc4231TestCase1) {
  EXPECT_EQ(crypto::hmac_sha256_hex(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(Crypto, HmacSha256AcceptsEmptyKeyAndMessage) {
  EXPECT_EQ(crypto::hmac_sha256_hex("", ""), "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(Crypto, HmacDependsOnTheKey) {
  EXPECT_NE(crypto::hmac_sha256_hex("key-a", "token"), crypto::hmac_sha256_hex("key-b", "token"));
}

TEST(Crypto, RandomBytesHasTheLengthAskedAndVaries) {
  EXPECT_EQ(crypto::random_bytes(0), "");
  auto a = crypto::random_bytes(32);
  auto b = crypto::random_bytes(32);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
}

TEST(Crypto, RandomTokenHasLengthAndAlphabet) {
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::set<char> seen;
  for (int i = 0; i < 200; ++i) {
    auto token = crypto::random_token(43);
    ASSERT_EQ(token.size(), 43u);
    for (char c : token) {
      ASSERT_NE(alphabet.find(c), std::string::npos) << "unexpected " << c;
      seen.insert(c);
    }
  }
  // 8,600 draws from 64 symbols: every symbol shows up.
  EXPECT_EQ(seen.size(), 64u);
  EXPECT_EQ(crypto::random_token(0), "");
}

TEST(Crypto, TokenTextIsWhatRandomTokensAreMadeOf) {
  for (int i = 0; i < 50; ++i) EXPECT_TRUE(crypto::is_token_text(crypto::random_token(12)));
  EXPECT_TRUE(crypto::is_token_text("Az09-_"));
  for (const auto* bad : {"a b", "a.b", "a*", "a>", "a\r\nUNSUB 1", "caf\xc3\xa9", "a+b"})
    EXPECT_FALSE(crypto::is_token_text(bad)) << bad;
  EXPECT_FALSE(crypto::is_token_text(std::string_view("a\0b", 3)));
}

TEST(Crypto, RandomDigitsAreDecimalAndRoughlyUniform) {
  std::array<int, 10> counts{};
  const int draws = 10000;
  for (int i = 0; i < draws / 10; ++i) {
    auto digits = crypto::random_digits(10);
    ASSERT_EQ(digits.size(), 10u);
    for (char c : digits) {
      ASSERT_TRUE(c >= '0' && c <= '9') << "unexpected " << c;
      ++counts[static_cast<std::size_t>(c - '0')];
    }
  }
  // Expected 1,000 each; a fair source strays past +-200 with negligible odds.
  for (int count : counts) {
    EXPECT_GT(count, 800);
    EXPECT_LT(count, 1200);
  }
  EXPECT_EQ(crypto::random_digits(6).size(), 6u);
  EXPECT_EQ(crypto::random_digits(0), "");
}

TEST(Crypto, ConstantTimeEqualComparesContentAndLength) {
  EXPECT_TRUE(crypto::constant_time_equal("", ""));
  EXPECT_TRUE(crypto::constant_time_equal("secret", "secret"));
  EXPECT_FALSE(crypto::constant_time_equal("secret", "secreT"));
  EXPECT_FALSE(crypto::constant_time_equal("secret", "secret2"));
  EXPECT_FALSE(crypto::constant_time_equal("secret2", "secret"));
  EXPECT_FALSE(crypto::constant_time_equal("", "x"));
  EXPECT_FALSE(crypto::constant_time_equal("x", ""));
  EXPECT_TRUE(crypto::constant_time_equal(std::string("a\0b", 3), std::string("a\0b", 3)));
  EXPECT_FALSE(crypto::constant_time_equal(std::string("a\0b", 3), std::string("a\0c", 3)));
}

}  // namespace
