// `participant swarm`'s command line, parsed and checked before anything connects.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "client/connection.hpp"

namespace roundtable::participant {

/// Every flag of one swarm run, with its default filled in.
struct swarm_options {
  client::server_url url;
  client::target server;  // url resolved; filled in by the caller (a blocking DNS look-up)
  std::string code;       // --code: join this session
  std::string key;        // --key: create a session (facilitator key)
  std::string scenario;
  std::string question;
  int count = 0;
  double ramp = 2000;
  double window = 2;
  double timeout = 0;
  int threads = 1;
  int min_group = 0;
  int open_at = 0;
  long expect = 0;
  int inflight_max = 500;
  double hold = 0;
  int repeat = 1;
  bool json_out = false;
  bool close_round = false;
  bool not_live = false;
  std::vector<boost::asio::ip::address> sources;
  std::uint64_t seed = 0;

  /// True when the swarm creates and drives the session itself (--key).
  bool hosts() const { return !key.empty(); }
};

/// Parses the swarm's flags; nullopt once --help or --version is printed on `out`; throws
/// cli::usage_error for a flag the user got wrong.
std::optional<swarm_options> parse_swarm_options(const std::vector<std::string>& args, std::ostream& out);

/// Parses --source-ips: addresses and IPv4 ranges A-B, comma-separated; throws cli::usage_error.
std::vector<boost::asio::ip::address> parse_sources(const std::string& spec);

}  // namespace roundtable::participant
