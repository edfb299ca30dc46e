// The rate limits kept per peer address, shared by the WebSocket router and the HTTP routes.
#pragma once

#include <chrono>
#include <string>

#include "rate_limit.hpp"

namespace roundtable::facilitator {

/// Now on the monotonic clock the limits count in.
inline nanos steady_now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// Tables keyed by an HMAC of the address under a key made at start and never written down,
/// so they hold no address and die with the process (rate_limit.hpp).
class address_limits {
public:
  explicit address_limits(const rate_limits& lim);

  /// The tables' key for a peer address: a keyed hash, never the address.
  std::string hash(const std::string& remote_address) const;

  /// Wrong join codes (join and watch) per address.
  failure_table join_failures;
  /// Wrong facilitator keys per address: `host` and the export API share them.
  failure_table key_failures;

private:
  std::string key_;
};

}  // namespace roundtable::facilitator
