#include "trusted_proxies.hpp"

#include <optional>
#include <stdexcept>

namespace roundtable::facilitator {

namespace {

namespace ip = boost::asio::ip;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// An address as a proxy writes it: "203.0.113.7", "2001:db8::1", "[2001:db8::1]:443" or
// "203.0.113.7:443"; IPv4-mapped IPv6 as IPv4, as the transport reports peers.
std::optional<ip::address> parse_address(std::string_view s) {
  if (!s.empty() && s.front() == '[') {
    const auto close = s.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    s = s.substr(1, close - 1);
  } else if (const auto colon = s.find(':'); colon != std::string_view::npos && s.find(':', colon + 1) == s.npos) {
    s = s.substr(0, colon);  // IPv4 with a port
  }
  boost::system::error_code ec;
  auto a = ip::make_address(std::string(s), ec);
  if (ec) return std::nullopt;
  if (a.is_v6() && a.to_v6().is_v4_mapped()) a = ip::make_address_v4(ip::v4_mapped, a.to_v6());
  return a;
}

// Every X-Forwarded-For entry, in order, over every such header line.
std::vector<std::string_view> forwarded_for(const net::http_request& req) {
  std::vector<std::string_view> entries;
  const auto [first, last] = req.equal_range("X-Forwarded-For");
  for (auto it = first; it != last; ++it) {
    std::string_view line = it->value();
    for (std::size_t at = 0; at <= line.size();) {
      const auto comma = std::min(line.find(',', at), line.size());
      if (const auto e = trim(line.substr(at, comma - at)); !e.empty()) entries.push_back(e);
      at = comma + 1;
    }
  }
  return entries;
}

}  // namespace

trusted_proxies::trusted_proxies(const std::vector<std::string>& addresses) {
  for (const auto& a : addresses) {
    auto parsed = parse_address(a);
    if (!parsed) throw std::invalid_argument("--trusted-proxy " + a + " is not an IP address");
    addresses_.push_back(*parsed);
  }
}

bool trusted_proxies::trusted(std::string_view address) const {
  const auto a = parse_address(address);
  if (!a) return false;
  for (const auto& t : addresses_)
    if (t == *a) return true;
  return false;
}

std::string trusted_proxies::client_of(const net::http_request& req, const std::string& peer) const {
  if (addresses_.empty() || !trusted(peer)) return peer;
  const auto entries = forwarded_for(req);
  if (entries.empty()) return peer;
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    if (trusted(*it)) continue;
    // Written by a trusted proxy, so an address; as the transport spells it, so one client is one key.
    const auto a = parse_address(*it);
    return a ? a->to_string() : std::string(*it);
  }
  const auto a = parse_address(entries.front());
  return a ? a->to_string() : std::string(entries.front());
}

}  // namespace roundtable::facilitator
