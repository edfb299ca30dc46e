#include "address_limits.hpp"

#include "crypto.hpp"

namespace roundtable::facilitator {

address_limits::address_limits(const rate_limits& lim)
    : join_failures(lim.join_failures_per_address, window_of(lim), lim.max_addresses),
      key_failures(lim.key_failures_per_address, window_of(lim), lim.max_addresses),
      key_(crypto::random_bytes(32)) {}

std::string address_limits::hash(const std::string& remote_address) const {
  // Cut to 15 hex digits (60 bits): fits std::string's inline buffer, so no allocation per
  // connection; two addresses sharing a limit by chance is harmless.
  return crypto::hmac_sha256_hex(key_, remote_address).substr(0, 15);
}

}  // namespace roundtable::facilitator
