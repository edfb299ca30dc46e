// BCP 47 language tags, the scenario's "lang" (RFC 5646 well-formedness, not the registry).
#include "roundtable/language_tag.hpp"

#include <gtest/gtest.h>

#include <string>

namespace roundtable::text {
namespace {

TEST(LanguageTag, CommonTagsAreWellFormed) {
  for (const char* tag : {"de", "en", "en-GB", "de-AT", "de-CH-1996", "sr-Latn-RS", "zh-Hant-TW", "es-419", "gsw",
                          "zh-yue-HK", "en-US-u-ca-gregory", "de-x-formal", "x-klingon", "EN-gb"})
    EXPECT_TRUE(is_language_tag(tag)) << tag;
}

TEST(LanguageTag, MalformedTagsAreRefused) {
  for (const char* tag : {"", "d", "German", "en_GB", "en-", "-en", "en--GB", "de-DE-", "12", "de-ÄT", "en GB",
                          "en-GB-toolongsubtag", "en-a", "en-u", "x-", "de-x", "<script>"})
    EXPECT_FALSE(is_language_tag(tag)) << tag;
}

TEST(LanguageTag, AtMost35Characters) {
  const std::string tag35 = "de-x-" + std::string("abcdefgh-abcdefgh-abcdefgh-abc");  // 35 characters
  ASSERT_EQ(tag35.size(), 35u);
  EXPECT_TRUE(is_language_tag(tag35));
  EXPECT_FALSE(is_language_tag(tag35 + "d"));
}

}  // namespace
}  // namespace roundtable::text
