// Which client a request stands for when it came through a reverse proxy the server was told to trust.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "net/handler.hpp"

namespace roundtable::facilitator {

/// The `--trusted-proxy` addresses. X-Forwarded-For is whatever the client wrote, except for the
/// entries a trusted proxy appended: so it is read only from a trusted peer, and only up to the
/// first entry (from the right) that no trusted proxy vouches for.
class trusted_proxies {
public:
  /// Throws std::invalid_argument naming an entry that is not an IP address.
  explicit trusted_proxies(const std::vector<std::string>& addresses);

  /// The address the per-address limits count for req from peer: peer itself unless it is a trusted
  /// proxy; then the rightmost X-Forwarded-For entry that is not a trusted proxy (the leftmost when
  /// every entry is one, peer when there is none).
  std::string client_of(const net::http_request& req, const std::string& peer) const;

private:
  bool trusted(std::string_view address) const;
  std::vector<boost::asio::ip::address> addresses_;
};

}  // namespace roundtable::facilitator
