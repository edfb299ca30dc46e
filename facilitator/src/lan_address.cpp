#include "lan_address.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cstdint>

namespace roundtable::facilitator {

namespace {

bool is_private(const std::string& address) {
  in_addr a{};
  if (inet_pton(AF_INET, address.c_str(), &a) != 1) return false;
  const std::uint32_t ip = ntohl(a.s_addr);
  return (ip >> 24) == 10 || (ip >> 20) == ((172u << 4) | 1u) || (ip >> 16) == ((192u << 8) | 168u);
}

bool is_bridge(const std::string& interface) {
  constexpr std::array<const char*, 4> prefixes{"docker", "br-", "veth", "virbr"};
  return std::any_of(prefixes.begin(), prefixes.end(), [&](const char* p) { return interface.rfind(p, 0) == 0; });
}

// Lower is better: a private address on a real interface first.
int rank(const interface_address& a) {
  return (is_bridge(a.interface) ? 2 : 0) + (is_private(a.address) ? 0 : 1);
}

}  // namespace

std::vector<interface_address> local_addresses() {
  std::vector<interface_address> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (const ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
    char text[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr, text, sizeof text);
    out.push_back({i->ifa_name, text, (i->ifa_flags & IFF_UP) != 0, (i->ifa_flags & IFF_LOOPBACK) != 0});
  }
  freeifaddrs(list);
  return out;
}

std::optional<std::string> pick_lan_address(const std::vector<interface_address>& addresses) {
  const interface_address* best = nullptr;
  for (const auto& a : addresses) {
    if (!a.up || a.loopback || a.address.rfind("127.", 0) == 0 || a.address.rfind("169.254.", 0) == 0) continue;
    if (!best || rank(a) < rank(*best)) best = &a;
  }
  if (!best) return std::nullopt;
  return best->address;
}

bool binds_every_interface(const std::string& host) {
  return host.empty() || host == "0.0.0.0" || host == "::";
}

}  // namespace roundtable::facilitator
