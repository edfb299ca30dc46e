// Inputs the fuzzers found (tests/fuzz), kept as plain unit tests so they stay fixed.
#include <gtest/gtest.h>

#include "roundtable/protocol.hpp"
#include "roundtable/scenario.hpp"

using namespace roundtable;

TEST(FuzzRegressions, AScenarioNumberTooLargeIsAnErrorNotAnException) {
  // fuzz_scenario: nlohmann throws out_of_range (406), not parse_error, for this number.
  const auto parsed = parse_scenario(R"({"format":111111111111111e11111111111, "id":"x"})", "big.json");
  EXPECT_FALSE(parsed.value);
  ASSERT_EQ(parsed.errors.size(), 1u);
  EXPECT_NE(parsed.errors[0].to_string().find("big.json: invalid JSON: number overflow"), std::string::npos)
      << parsed.errors[0].to_string();
}

TEST(FuzzRegressions, AFrameWithANumberTooLargeIsBadJson) {
  const auto p = protocol::parse(R"({"type":"vote","question":"gut","ballot":{"value":1e99999}})");
  EXPECT_FALSE(p.msg);
  ASSERT_TRUE(p.err);
}
