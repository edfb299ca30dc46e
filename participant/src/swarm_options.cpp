#include "swarm_options.hpp"

#include <random>

#include "commands.hpp"
#include "flags.hpp"

namespace roundtable::participant {

namespace asio = boost::asio;

namespace {

// The session flags: --code to join one, or --key with --scenario to create one.
void check_session_flags(const flags& f, const swarm_options& cfg) {
  if (!cfg.key.empty() && !cfg.code.empty()) throw flag_error("give either --code or --key with --scenario, not both");
  if (cfg.key.empty() && cfg.code.empty())
    throw flag_error("--code is required (or --key and --scenario to create a session)");
  if (!cfg.key.empty() && cfg.scenario.empty()) throw flag_error("--key needs --scenario ID (the scenario to start)");
  if (cfg.key.empty() && !cfg.scenario.empty())
    throw flag_error("--scenario needs --key (only a facilitator starts sessions)");
  if (!cfg.code.empty() && (cfg.code.size() != 6 || cfg.code.find_first_not_of("0123456789") != std::string::npos))
    throw flag_error("--code must be the six-digit join code, got \"" + cfg.code + "\"");
  if (cfg.key.empty() && (f.get("open-at") || f.get("min-group") || f.has("close") || f.has("not-live")))
    throw flag_error("--open-at, --min-group, --close and --not-live need --key (they drive the session)");
}

}  // namespace

const char* swarm_usage =
    "usage: participant swarm --server ws://HOST:PORT/ws --code CODE --count N [OPTIONS]\n"
    "       participant swarm --server ws://HOST:PORT/ws --key KEY --scenario ID --count N [OPTIONS]\n"
    "\n"
    "A load generator: N simulated anonymous participants, each with its own token and\n"
    "connection, join at the ramp rate; once the question's round is open and everyone has\n"
    "joined, each casts one valid random ballot of the question's type at a random moment in\n"
    "the vote window, then waits for its ack and for a progress push counting every ballot.\n"
    "\n"
    "The session, either:\n"
    "  --code CODE          join an existing session; its current stage (or --question) is the\n"
    "                       question, and the swarm votes once its round is (or becomes) open.\n"
    "                       Make it live (options {\"live\":true}) to measure vote-to-results.\n"
    "  --key KEY --scenario ID\n"
    "                       create one: host, start the scenario with {\"live\":true}, goto the\n"
    "                       question (--question, or the scenario's first), and open its round\n"
    "                       once every participant has joined (--open-at). Prints\n"
    "                       `session CODE question ID` first, for a second swarm process.\n"
    "\n"
    "  --server URL         the server's WebSocket URL (required)\n"
    "  --count N            participants, 0 to 100000 (required); --count 0 with --key just\n"
    "                       creates the live session, opens the round and prints its code\n"
    "  --ramp PER_SECOND    joins started per second (default 2000; 0: as fast as possible)\n"
    "  --vote-window S      votes are spread uniformly over S seconds (default 2)\n"
    "  --question ID        the question to vote on\n"
    "  --source-ips LIST    bind connections round-robin to these local addresses, e.g.\n"
    "                       127.0.0.2-127.0.0.60 or 127.0.0.2,127.0.0.3 (past ~28,000\n"
    "                       connections one address runs out of ephemeral ports)\n"
    "  --threads N          io_context threads (default 1)\n"
    "  --timeout S          give up after S seconds overall (default: joins at the ramp + 60)\n"
    "  --expect-ballots M   wait for a progress push counting M ballots (default N; with\n"
    "                       several swarm processes on one session, their total)\n"
    "  --open-at M          with --key: open the round once M participants are present\n"
    "                       (default N; the total when other swarm processes join too)\n"
    "  --min-group N        with --key: the session's min_group option\n"
    "  --close              with --key: close the round at the end (final tally, export votes)\n"
    "  --not-live           with --key: start the session with {\"live\":false} (no live results)\n"
    "  --max-inflight N     connection attempts in progress at most (default 500)\n"
    "  --hold S             once everyone has joined, wait S seconds before voting (prints\n"
    "                       `joined N of M` when the wait starts: a script can sample the server)\n"
    "  --repeat K           each participant casts K ballots, the next as soon as the last is\n"
    "                       acked (each replaces the last): sustained durable votes per second\n"
    "  --seed N             random seed (default: random)\n"
    "  --json               end with one line: a JSON object with every number below\n"
    "\n"
    "Measures connect+join time, ack latency (send to ack) and vote-to-results latency (the\n"
    "k-th acked vote's send to the first results push with ballots >= k, over the first\n"
    "N - min_group + 1 votes) as p50/p99/max; counts connected, acked, errors, disconnects.\n"
    "Exit status 0 when every participant connected and every vote was acked, 1 otherwise.\n";

std::optional<swarm_options> parse_swarm_options(const std::vector<std::string>& args) {
  flags f("swarm", args,
          {"server", "code", "key", "scenario", "question", "count", "ramp", "vote-window", "source-ips", "threads",
           "timeout", "expect-ballots", "open-at", "min-group", "max-inflight", "seed", "hold", "repeat"},
          {"json", "close", "not-live"});
  if (f.help()) return std::nullopt;
  swarm_options cfg;
  const auto server = f.get("server");
  if (!server) throw flag_error("--server is required, e.g. --server ws://127.0.0.1:8080/ws");
  std::string why;
  auto url = client::parse_server_url(*server, why);
  if (!url) throw flag_error("--server: " + why);
  if (!f.get("count")) throw flag_error("--count is required (the number of simulated participants)");
  cfg.count = static_cast<int>(f.number("count", 0, 0, 100000));
  cfg.code = f.get("code").value_or(url->code.value_or(""));
  cfg.key = f.get("key").value_or("");
  cfg.scenario = f.get("scenario").value_or("");
  check_session_flags(f, cfg);
  cfg.question = f.get("question").value_or("");
  cfg.ramp = f.real("ramp", 2000, 0, 1e6);
  cfg.window = f.real("vote-window", 2, 0, 3600);
  cfg.threads = static_cast<int>(f.number("threads", 1, 1, 64));
  cfg.expect = f.number("expect-ballots", cfg.count, 0, 10000000);
  cfg.open_at = static_cast<int>(f.number("open-at", cfg.count, 0, 10000000));
  cfg.min_group = static_cast<int>(f.number("min-group", 0, 1, 50));
  cfg.inflight_max = static_cast<int>(f.number("max-inflight", 500, 1, 100000));
  cfg.close_round = f.has("close");
  cfg.not_live = f.has("not-live");
  cfg.hold = f.real("hold", 0, 0, 3600);
  cfg.repeat = static_cast<int>(f.number("repeat", 1, 1, 1000000));
  cfg.json_out = f.has("json");
  cfg.seed = static_cast<std::uint64_t>(
      f.number("seed", static_cast<long>(std::random_device{}() & 0x7fffffff), 0, 0x7fffffffffffffff));
  if (auto s = f.get("source-ips")) cfg.sources = parse_sources(*s);
  const double join_estimate = cfg.ramp > 0 ? cfg.count / cfg.ramp : cfg.count / 2000.0;
  cfg.timeout = f.real("timeout", join_estimate + cfg.window + cfg.hold + 60, 1, 86400);

  cfg.url = *url;
  return cfg;
}

std::vector<asio::ip::address> parse_sources(const std::string& spec) {
  std::vector<asio::ip::address> out;
  std::size_t start = 0;
  while (start <= spec.size()) {
    auto comma = spec.find(',', start);
    const auto part = spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    boost::system::error_code ec;
    if (const auto dash = part.find('-'); dash != std::string::npos) {
      const auto a = asio::ip::make_address_v4(part.substr(0, dash), ec);
      if (ec) throw flag_error("--source-ips: \"" + part.substr(0, dash) + "\" is not an IPv4 address");
      const auto b = asio::ip::make_address_v4(part.substr(dash + 1), ec);
      if (ec) throw flag_error("--source-ips: \"" + part.substr(dash + 1) + "\" is not an IPv4 address");
      if (b.to_uint() < a.to_uint()) throw flag_error("--source-ips: the range " + part + " runs backwards");
      if (b.to_uint() - a.to_uint() > 1000)
        throw flag_error("--source-ips: the range " + part + " has over 1000 addresses");
      for (auto x = a.to_uint(); x <= b.to_uint(); ++x) out.push_back(asio::ip::address_v4(x));
    } else {
      const auto a = asio::ip::make_address(part, ec);
      if (ec) throw flag_error("--source-ips: \"" + part + "\" is not an IP address");
      out.push_back(a);
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace roundtable::participant
