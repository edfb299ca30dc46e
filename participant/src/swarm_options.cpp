#include "swarm_options.hpp"

#include <random>

#include "roundtable/command_line.hpp"

namespace roundtable::participant {

namespace asio = boost::asio;
using cli::usage_error;

namespace {

constexpr const char* swarm_usage =
    "usage: participant swarm --server ws://HOST:PORT/ws --code CODE --count N [OPTIONS]\n"
    "       participant swarm --server ws://HOST:PORT/ws --key KEY --scenario ID --count N [OPTIONS]";

constexpr const char* swarm_about =
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
    "                       `session CODE question ID` first, for a second swarm process.";

constexpr const char* swarm_footer =
    "Measures connect+join time, ack latency (send to ack) and vote-to-results latency (the\n"
    "k-th acked vote's send to the first results push with ballots >= k, over the first\n"
    "N - min_group + 1 votes) as p50/p99/max; counts connected, acked, errors, disconnects.\n"
    "Exit status 0 when every participant connected and every vote was acked, 1 otherwise.\n";

// What the line gives before the defaults that depend on other flags are filled in.
struct swarm_line {
  std::optional<std::string> server, source_ips;
  std::optional<int> count, open_at, min_group;
  std::optional<long> expect, seed;
  std::optional<double> timeout;
};

void declare_session(cli::command_line& l, swarm_options& o, swarm_line& w) {
  l.text("server", w.server, "the server's WebSocket URL (required)", "URL")
      .text("code", o.code, "join the session with this six-digit code", "CODE")
      .text("key", o.key, "the facilitator key: create the session (with --scenario)", "KEY")
      .text("scenario", o.scenario, "with --key: the scenario to start", "ID")
      .text("question", o.question, "the question to vote on", "ID")
      .number("count", w.count, 0, 100000,
              "participants (required); --count 0 with --key just creates the live session, opens the round and "
              "prints its code")
      .number("open-at", w.open_at, 0, 10000000,
              "with --key: open the round once M participants are present (default N; the total when other swarm "
              "processes join too)",
              "M")
      .number("min-group", w.min_group, 1, 50, "with --key: the session's min_group option")
      .flag("close", o.close_round, "with --key: close the round at the end (final tally, export votes)")
      .flag("not-live", o.not_live, "with --key: start the session with {\"live\":false} (no live results)");
}

void declare_run(cli::command_line& l, swarm_options& o, swarm_line& w) {
  l.real("ramp", o.ramp, 0, 1e6, "joins started per second (0: as fast as possible)", "PER_SECOND")
      .real("vote-window", o.window, 0, 3600, "votes are spread uniformly over S seconds", "S")
      .text("source-ips", w.source_ips,
            "bind connections round-robin to these local addresses, e.g. 127.0.0.2-127.0.0.60 or "
            "127.0.0.2,127.0.0.3 (past ~28,000 connections one address runs out of ephemeral ports)",
            "LIST")
      .number("threads", o.threads, 1, 64, "io_context threads")
      .real("timeout", w.timeout, 1, 86400, "give up after S seconds overall (default: joins at the ramp + 60)", "S")
      .number("expect-ballots", w.expect, 0, 10000000,
              "wait for a progress push counting M ballots (default N; with several swarm processes on one "
              "session, their total)",
              "M")
      .number("max-inflight", o.inflight_max, 1, 100000, "connection attempts in progress at most")
      .real("hold", o.hold, 0, 3600,
            "once everyone has joined, wait S seconds before voting (prints `joined N of M` when the wait starts: "
            "a script can sample the server)",
            "S")
      .number("repeat", o.repeat, 1, 1000000,
              "each participant casts K ballots, the next as soon as the last is acked (each replaces the last): "
              "sustained durable votes per second",
              "K")
      .number("seed", w.seed, 0, 0x7fffffffffffffff, "random seed (default: random)")
      .flag("json", o.json_out, "end with one line: a JSON object with every number below");
}

// The session flags: --code to join one, or --key with --scenario to create one.
void check_session_flags(const swarm_options& cfg, const swarm_line& w) {
  if (!cfg.key.empty() && !cfg.code.empty()) throw usage_error("give either --code or --key with --scenario, not both");
  if (cfg.key.empty() && cfg.code.empty())
    throw usage_error("--code is required (or --key and --scenario to create a session)");
  if (!cfg.key.empty() && cfg.scenario.empty()) throw usage_error("--key needs --scenario ID (the scenario to start)");
  if (cfg.key.empty() && !cfg.scenario.empty())
    throw usage_error("--scenario needs --key (only a facilitator starts sessions)");
  if (!cfg.code.empty() && (cfg.code.size() != 6 || cfg.code.find_first_not_of("0123456789") != std::string::npos))
    throw usage_error("--code must be the six-digit join code, got \"" + cfg.code + "\"");
  if (cfg.key.empty() && (w.open_at || w.min_group || cfg.close_round || cfg.not_live))
    throw usage_error("--open-at, --min-group, --close and --not-live need --key (they drive the session)");
}

// Fills the defaults that follow other flags, and checks what no single flag can.
swarm_options complete(swarm_options cfg, const swarm_line& w) {
  if (!w.server) throw usage_error("--server is required, e.g. --server ws://127.0.0.1:8080/ws");
  std::string why;
  auto url = client::parse_server_url(*w.server, why);
  if (!url) throw usage_error("--server: " + why);
  if (url->tls)
    throw usage_error("--server: the swarm speaks ws:// only (it measures the server: run it against a plain port)");
  if (!w.count) throw usage_error("--count is required (the number of simulated participants)");
  cfg.count = *w.count;
  if (cfg.code.empty()) cfg.code = url->code.value_or("");
  check_session_flags(cfg, w);
  cfg.expect = w.expect.value_or(cfg.count);
  cfg.open_at = w.open_at.value_or(cfg.count);
  cfg.min_group = w.min_group.value_or(0);
  cfg.seed = static_cast<std::uint64_t>(w.seed.value_or(std::random_device{}() & 0x7fffffff));
  if (w.source_ips) cfg.sources = parse_sources(*w.source_ips);
  const double join_estimate = cfg.ramp > 0 ? cfg.count / cfg.ramp : cfg.count / 2000.0;
  cfg.timeout = w.timeout.value_or(join_estimate + cfg.window + cfg.hold + 60);
  cfg.url = *url;
  return cfg;
}

}  // namespace

std::optional<swarm_options> parse_swarm_options(const std::vector<std::string>& args, std::ostream& out) {
  cli::command_line line("participant", "swarm", swarm_usage, swarm_about, swarm_footer);
  swarm_options cfg;
  swarm_line w;
  declare_session(line, cfg, w);
  declare_run(line, cfg, w);
  if (!line.parse(args, out)) return std::nullopt;
  return complete(std::move(cfg), w);
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
      if (ec) throw usage_error("--source-ips: \"" + part.substr(0, dash) + "\" is not an IPv4 address");
      const auto b = asio::ip::make_address_v4(part.substr(dash + 1), ec);
      if (ec) throw usage_error("--source-ips: \"" + part.substr(dash + 1) + "\" is not an IPv4 address");
      if (b.to_uint() < a.to_uint()) throw usage_error("--source-ips: the range " + part + " runs backwards");
      if (b.to_uint() - a.to_uint() > 1000)
        throw usage_error("--source-ips: the range " + part + " has over 1000 addresses");
      for (auto x = a.to_uint(); x <= b.to_uint(); ++x) out.push_back(asio::ip::address_v4(x));
    } else {
      const auto a = asio::ip::make_address(part, ec);
      if (ec) throw usage_error("--source-ips: \"" + part + "\" is not an IP address");
      out.push_back(a);
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace roundtable::participant
