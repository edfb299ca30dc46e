// Where phones on the local network reach this machine: `serve --lan`, and the join link and
// QR code of a server bound to every interface.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace roundtable::facilitator {

/// One IPv4 address of a network interface.
struct interface_address {
  std::string interface;  // e.g. "eth0", "wlan0", "docker0"
  std::string address;    // dotted quad
  bool up = true;
  bool loopback = false;
};

/// This machine's IPv4 addresses, from getifaddrs (empty when it fails).
std::vector<interface_address> local_addresses();

/// The address to put in the join link: an up, non-loopback interface's, a private one
/// (10/8, 172.16/12, 192.168/16) first, container and VM bridges (docker*, br-*, veth*,
/// virbr*) last; none when there is no such interface.
std::optional<std::string> pick_lan_address(const std::vector<interface_address>& addresses);

/// True for a host that means every interface (0.0.0.0, ::, or empty).
bool binds_every_interface(const std::string& host);

}  // namespace roundtable::facilitator
