#include "serve_options.hpp"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "roundtable/session.hpp"
#include "store_place.hpp"
#include "trusted_proxies.hpp"

namespace roundtable::facilitator {

namespace {

// Where the server listens, who reaches it, and with which key.
void declare_place(cli::command_line& l, serve_options& o) {
  l.text("host", o.host, "address to listen on (0.0.0.0: every interface)", "HOST")
      .flag("lan", o.lan,
            "let phones on this network join: listen on every interface (whatever --host says) and put this "
            "machine's network address in the join link and QR code (--public-url still wins)")
      .number("port", o.port, 0, 65535, "port, 0 for any free one", "PORT")
      .text("db", o.db, "the SQLite database", "FILE")
      .text("scenarios", o.scenarios_dir, "the scenario folder", "DIR")
      .text("key", o.key,
            "facilitator key, at least 22 characters (else --key-file, else the variable ROUNDTABLE_KEY; random "
            "when none). Make one with: openssl rand -base64 24",
            "KEY")
      .without_variable("key")  // ROUNDTABLE_KEY comes after --key-file: facilitator_key reads it
      .text("key-file", o.key_file, "read the facilitator key from the first line of FILE", "FILE")
      .number("min-group", o.min_group, min_group_floor, min_group_ceiling, "anonymity threshold")
      .text("public-url", o.public_url, "how participants reach this server, e.g. https://vote.example.org", "URL")
      .list("allow-origin", o.origins, "another origin allowed to open WebSockets (repeatable)", "URL")
      .list("trusted-proxy", o.trusted_proxies,
            "a reverse proxy's IP address (repeatable): from it, the client address of the per-address limits is "
            "read from X-Forwarded-For; from anyone else that header is ignored",
            "ADDR")
      .flag("metrics-public", o.metrics_public, "serve /metrics without the facilitator key")
      .text("web-root", o.web_root, "serve the web pages from DIR (e.g. facilitator/web) instead of the built-in copy",
            "DIR")
      .text("tls-cert", o.tls_cert, "serve https and wss with this PEM certificate chain (with --tls-key)", "FILE")
      .text("tls-key", o.tls_key, "the PEM private key of --tls-cert", "FILE");
}

// Where sessions, cases and log lines go.
void declare_keeping(cli::command_line& l, serve_options& o) {
  l.text("log-format", o.log_format_text, "stderr log lines as text or json (one JSON object per line)", "FMT")
      .number("max-saved-scenarios", o.cases.max_saved, 0, 100'000, "cases saved from the console, at most")
      .list("nats", o.nats,
            "keep the event log in NATS JetStream instead of --db: nats://HOST:PORT, comma-separated for a cluster "
            "(in progress: one facilitator per session for now; docs/architecture.md)",
            "URLS")
      .number("nats-replicas", o.nats_replicas, 1, 5, "copies JetStream keeps of the log (3 on a three-node cluster)")
      .duration("confidential-retention", o.confidential_retention, 0, 60 * 24 * 365,
                "a confidential session is purged this many minutes after its end", "MIN");
}

void declare_transport(cli::command_line& l, net::limits& n) {
  l.number("threads", n.io_threads, 1, 64, "I/O threads (default: one per core)")
      .number("max-message", n.ws_message_max, 1024, 16 * 1024 * 1024, "largest WebSocket message", "BYTES")
      .number("max-connections", n.max_connections, 1, 1'000'000, "open connections at most")
      .number("max-connections-per-address", n.max_connections_per_address, 1, 1'000'000,
              "open connections from one IP address (a classroom behind one NAT)")
      .flag("cap-loopback", n.cap_loopback,
            "apply that cap to loopback peers too (by default this machine's own, e.g. a reverse proxy in front, "
            "are not capped)")
      .number("max-header", n.http_header_max, 1024, 1024 * 1024, "largest HTTP request header, else 431", "BYTES")
      .number("max-body", n.http_body_max, 0, 16 * 1024 * 1024, "largest HTTP request body, else 413", "BYTES")
      .duration("handshake-timeout", n.handshake_timeout, 1, 3600,
                "seconds to send an HTTP request or finish the WebSocket handshake", "S")
      .duration("idle-timeout", n.idle_timeout, 2, 86400,
                "a WebSocket silent this long is closed; pinged at half of it", "S")
      .number("write-queue", n.write_queue_max_bytes, 4096, 1 << 30,
              "unsent bytes per connection before it is dropped as too slow", "BYTES")
      .number("max-queued-bytes", n.max_queued_bytes, 65536, 1ll << 40,
              "unsent bytes over all connections; beyond, the furthest behind are dropped", "BYTES");
}

void declare_rates(cli::command_line& l, rate_limits& r) {
  l.number("rate-messages", r.messages_per_second, 1, 1'000'000,
           "messages per second (and burst) per connection, else rate_limited")
      .number("join-failures-per-connection", r.join_failures_per_connection, 1, 1'000'000,
              "wrong join codes per connection and window")
      .number("join-failures-per-address", r.join_failures_per_address, 1, 1'000'000,
              "wrong join codes per address and window")
      .number("key-failures-per-address", r.key_failures_per_address, 1, 1'000'000,
              "wrong facilitator keys per address and window")
      .number("joins-per-connection", r.joins_per_connection, 1, 1'000'000,
              "joins and watches per connection and window")
      .duration("failure-window", r.failure_window, 1, 86400, "the window of those limits, in seconds", "S");
}

// --nats nats://HOST:PORT[,...]: each server checked for its scheme and port; replicas only with it.
void check_nats(const serve_options& o) {
  check_nats_urls(o.nats);
  if (o.nats.empty() && o.nats_replicas != 1) throw cli::usage_error("--nats-replicas goes with --nats");
  // A random key per server would open the console on one server of the cluster only.
  const char* env = std::getenv("ROUNDTABLE_KEY");
  if (!o.nats.empty() && !o.key && !o.key_file && !(env && *env))
    throw cli::usage_error(
        "--nats needs the facilitator key every server of the cluster shares: --key, --key-file "
        "or ROUNDTABLE_KEY");
}

std::string trim_right_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

}  // namespace

void declare_serve_options(cli::command_line& line, serve_options& o) {
  o.net.io_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  declare_place(line, o);
  declare_keeping(line, o);
  declare_transport(line, o.net);
  declare_rates(line, o.rates);
}

void complete_serve_options(serve_options& o) {
  if (o.lan) o.host = "0.0.0.0";
  if (o.public_url) {
    o.public_url = trim_right_slash(*o.public_url);
    o.origins.push_back(*o.public_url);
  }
  try {  // checked here, so a proxy that is not an address is a usage error like any bad flag
    trusted_proxies{o.trusted_proxies};
  } catch (const std::invalid_argument& e) {
    throw cli::usage_error(e.what());
  }
  if (!o.tls_cert != !o.tls_key) throw cli::usage_error("--tls-cert and --tls-key go together");
  check_nats(o);
  if (o.log_format_text != "text" && o.log_format_text != "json")
    throw cli::usage_error("--log-format is text or json");
  o.log_format = o.log_format_text == "json" ? log::format::json : log::format::text;
}

}  // namespace roundtable::facilitator
