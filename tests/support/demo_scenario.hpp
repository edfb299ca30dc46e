// The test fixtures' demo case (tests/fixtures/server/demo.json), parsed, for tests that start a session in process.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "roundtable/scenario.hpp"

namespace roundtable::test {

/// The demo case as the server would load it (a parse error fails the calling test).
inline scenario demo_scenario() {
  std::ifstream in(std::string(ROUNDTABLE_SOURCE_DIR) + "/tests/fixtures/server/demo.json");
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = parse_scenario(text.str(), "demo.json");
  EXPECT_TRUE(parsed.errors.empty());
  return *parsed.value;
}

}  // namespace roundtable::test
