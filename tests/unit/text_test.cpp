// UTF-8 helpers: validity, code point counts, Unicode trimming, id and token shapes.
#include "roundtable/text.hpp"

#include <gtest/gtest.h>

using namespace roundtable::text;

TEST(Utf8, ValidAndInvalid) {
  EXPECT_TRUE(valid_utf8("plain"));
  EXPECT_TRUE(
      valid_utf8("gr\xC3\xBC\xC3\x9F"
                 "e \xE2\x82\xAC \xF0\x9F\x99\x82"));
  EXPECT_FALSE(valid_utf8("\xC3"));              // truncated
  EXPECT_FALSE(valid_utf8("\xC0\xAF"));          // overlong
  EXPECT_FALSE(valid_utf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(valid_utf8("\x80"));
}

TEST(Utf8, CountsCodePointsNotBytes) {
  EXPECT_EQ(code_points(""), 0u);
  EXPECT_EQ(code_points("abc"), 3u);
  EXPECT_EQ(code_points("\xC3\xBC\xE2\x82\xAC\xF0\x9F\x99\x82"), 3u);
}

TEST(Trim, UnicodeWhiteSpace) {
  EXPECT_EQ(trim("  a b  "), "a b");
  EXPECT_EQ(trim("\t\n\r a"), "a");
  EXPECT_EQ(trim("\xE3\x80\x80"
                 "a\xC2\xA0"),
            "a");                       // ideographic space, no-break space
  EXPECT_EQ(trim("\xE2\x80\xA8"), "");  // line separator only
  EXPECT_EQ(trim("\xE2\x80\x8B"
                 "a"),
            "\xE2\x80\x8B"
            "a");  // zero-width space is not White_Space
  EXPECT_EQ(trim(""), "");
}

TEST(Shapes, IdsAndTokens) {
  EXPECT_TRUE(is_id("gut-again_2"));
  EXPECT_FALSE(is_id(""));
  EXPECT_FALSE(is_id("Gut"));
  EXPECT_FALSE(is_id(std::string(41, 'a')));
  EXPECT_TRUE(is_id(std::string(40, 'a')));
  EXPECT_TRUE(is_token(std::string(22, 'A')));
  EXPECT_FALSE(is_token(std::string(21, 'A')));
  EXPECT_TRUE(is_token(std::string(64, '_')));
  EXPECT_FALSE(is_token(std::string(65, '_')));
  EXPECT_FALSE(is_token(std::string(30, 'a') + "="));
}
