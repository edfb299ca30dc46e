// What every C++ test server is started with unless a test says otherwise: one key, one scenario folder.
#pragma once

#include <string>

namespace roundtable::test {

/// The facilitator key of the test servers: 32 hex characters (128 bits), long enough for any key check.
inline const std::string test_key = "7e57c0de5eed4b1d9a3f6c2e8b0d1a47";

/// The scenario folder of the test servers (the scenario "demo" and its friends).
inline const std::string test_scenarios = std::string(ROUNDTABLE_SOURCE_DIR) + "/tests/fixtures/server";

}  // namespace roundtable::test
