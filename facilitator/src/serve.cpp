// `facilitator serve`: the options read from the command line, then the server run with them.
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "app.hpp"
#include "commands.hpp"
#include "crypto.hpp"
#include "flags.hpp"
#include "heap.hpp"
#include "net/server.hpp"
#include "net/tls.hpp"
#include "roundtable/session.hpp"
#include "scenario_files.hpp"
#include "store/event_store.hpp"
#include "store/jetstream_store.hpp"
#include "trusted_proxies.hpp"

namespace roundtable::facilitator {

namespace {

constexpr const char* serve_usage =
    "usage: facilitator serve [OPTIONS]\n"
    "\n"
    "Runs workshops: HTTP and WebSocket on one port, sessions stored in SQLite.\n"
    "\n"
    "  --host HOST          address to listen on (default 127.0.0.1; 0.0.0.0 lets phones on your network join)\n"
    "  --port PORT          port, 0 for any free one (default 8080)\n"
    "  --db FILE            SQLite database (default roundtable.db)\n"
    "  --scenarios DIR      scenario folder (default scenarios)\n"
    "  --key KEY            facilitator key, at least 22 characters (or env ROUNDTABLE_KEY, or --key-file);\n"
    "                       random when none; make one with: openssl rand -base64 24\n"
    "  --key-file FILE      read the facilitator key from the first line of FILE\n"
    "  --min-group N        anonymity threshold, 1 to 50 (default 3)\n"
    "  --public-url URL     how participants reach this server, e.g. https://vote.example.org\n"
    "  --allow-origin URL   another origin allowed to open WebSockets (repeatable)\n"
    "  --trusted-proxy ADDR a reverse proxy's IP address (repeatable): from it, the client address of the\n"
    "                       per-address limits is read from X-Forwarded-For; from anyone else that header is ignored\n"
    "  --metrics-public     serve /metrics without the facilitator key\n"
    "  --web-root DIR       serve the web pages from DIR (e.g. facilitator/web) instead of the built-in copy\n"
    "  --tls-cert FILE      serve https and wss with this PEM certificate chain (with --tls-key)\n"
    "  --tls-key FILE       the PEM private key of --tls-cert\n"
    "  --threads N          I/O threads (default: one per core)\n"
    "  --max-message BYTES  largest WebSocket message (default 65536)\n"
    "  --max-connections N  open connections at most (default 19900)\n"
    "  --max-connections-per-address N  open connections from one IP address (default 1000: a classroom behind one "
    "NAT)\n"
    "  --cap-loopback       apply that cap to loopback peers too (by default this machine's own, e.g. a\n"
    "                       reverse proxy in front, are not capped)\n"
    "  --max-header BYTES   largest HTTP request header, else 431 (default 8192)\n"
    "  --max-body BYTES     largest HTTP request body, else 413 (default 16384)\n"
    "  --handshake-timeout S  seconds to send an HTTP request or finish the WebSocket handshake (default 10)\n"
    "  --idle-timeout S     a WebSocket silent this long is closed; pinged at half of it (default 60)\n"
    "  --write-queue BYTES  unsent bytes per connection before it is dropped as too slow (default 262144)\n"
    "  --max-queued-bytes BYTES  unsent bytes over all connections; beyond, the furthest behind are dropped (default "
    "268435456)\n"
    "  --rate-messages N    messages per second (and burst) per connection, else rate_limited (default 30)\n"
    "  --join-failures-per-connection N  wrong join codes per connection and window (default 5)\n"
    "  --join-failures-per-address N     wrong join codes per address and window (default 60)\n"
    "  --key-failures-per-address N      wrong facilitator keys per address and window (default 5)\n"
    "  --joins-per-connection N          joins and watches per connection and window (default 10)\n"
    "  --failure-window S   the window of those failure limits, in seconds (default 60)\n"
    "  --nats URLS          keep the event log in NATS JetStream instead of --db: nats://HOST:PORT, comma-separated\n"
    "                       for a cluster (in progress: one facilitator per session for now; docs/architecture.md)\n"
    "  --nats-replicas N    copies JetStream keeps of the log, 1 to 5 (default 1; 3 on a three-node cluster)\n"
    "\n"
    "Stop with Ctrl-C or SIGTERM: pending votes are committed, then it exits.\n";

/// Everything `serve` is told on its command line.
struct serve_options {
  std::string host;
  unsigned short port = 8080;
  std::string db;
  std::string scenarios_dir;
  std::optional<std::string> key;
  std::optional<std::string> key_file;
  int min_group = 3;
  std::optional<std::string> public_url;  // without a trailing slash
  std::vector<std::string> origins;       // --allow-origin, and the public URL's
  std::vector<std::string> trusted_proxies;
  bool metrics_public = false;
  std::string web_root;
  std::optional<std::string> tls_cert;
  std::optional<std::string> tls_key;
  net::limits net;
  rate_limits rates;
  std::vector<std::string> nats;  // --nats: the JetStream store's servers (empty: the SQLite store)
  int nats_replicas = 1;          // --nats-replicas
};

std::string trim_right_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

// The transport's limits; the thread count is read here too, in the order of the usage.
net::limits read_net_limits(flags& f) {
  const auto cores = std::max(1u, std::thread::hardware_concurrency());
  net::limits lim;
  lim.io_threads = static_cast<int>(f.number("threads", cores, 1, 64));
  lim.ws_message_max = static_cast<std::size_t>(f.number("max-message", 64 * 1024, 1024, 16 * 1024 * 1024));
  lim.max_connections = static_cast<std::size_t>(f.number("max-connections", 19900, 1, 1'000'000));
  lim.max_connections_per_address =
      static_cast<std::size_t>(f.number("max-connections-per-address", 1000, 1, 1'000'000));
  lim.cap_loopback = f.on("cap-loopback");
  lim.http_header_max = static_cast<std::size_t>(f.number("max-header", 8 * 1024, 1024, 1024 * 1024));
  lim.http_body_max = static_cast<std::size_t>(f.number("max-body", 16 * 1024, 0, 16 * 1024 * 1024));
  lim.handshake_timeout = std::chrono::seconds(f.number("handshake-timeout", 10, 1, 3600));
  lim.idle_timeout = std::chrono::seconds(f.number("idle-timeout", 60, 2, 86400));
  lim.write_queue_max_bytes = static_cast<std::size_t>(f.number("write-queue", 256 * 1024, 4096, 1 << 30));
  lim.max_queued_bytes = static_cast<std::size_t>(f.number("max-queued-bytes", 256l << 20, 65536, 1l << 40));
  return lim;
}

rate_limits read_rate_limits(flags& f) {
  rate_limits rl;
  rl.messages_per_second = static_cast<int>(f.number("rate-messages", 30, 1, 1'000'000));
  rl.join_failures_per_connection = static_cast<int>(f.number("join-failures-per-connection", 5, 1, 1'000'000));
  rl.join_failures_per_address = static_cast<int>(f.number("join-failures-per-address", 60, 1, 1'000'000));
  rl.key_failures_per_address = static_cast<int>(f.number("key-failures-per-address", 5, 1, 1'000'000));
  rl.joins_per_connection = static_cast<int>(f.number("joins-per-connection", 10, 1, 1'000'000));
  rl.failure_window = std::chrono::seconds(f.number("failure-window", 60, 1, 86400));
  return rl;
}

// --nats nats://HOST:PORT[,nats://HOST:PORT...]: the servers, each checked for its scheme and port.
std::vector<std::string> read_nats_servers(flags& f) {
  std::vector<std::string> servers;
  const auto list = f.get("nats");
  if (!list) return servers;
  std::size_t from = 0;
  for (;;) {
    const auto comma = list->find(',', from);
    const auto url = list->substr(from, comma == std::string::npos ? std::string::npos : comma - from);
    const auto colon = url.rfind(':');
    if (url.rfind("nats://", 0) != 0 || colon < 7 || colon + 1 == url.size())
      throw flags::usage_error("--nats takes nats://HOST:PORT[,nats://HOST:PORT...], not '" + url + "'");
    servers.push_back(url);
    if (comma == std::string::npos) return servers;
    from = comma + 1;
  }
}

// Throws flags::usage_error for what the command line gets wrong.
serve_options read_serve_options(flags& f) {
  serve_options o;
  o.host = f.get("host").value_or("127.0.0.1");
  o.port = static_cast<unsigned short>(f.number("port", 8080, 0, 65535));
  o.db = f.get("db").value_or("roundtable.db");
  o.scenarios_dir = f.get("scenarios").value_or("scenarios");
  o.key = f.get("key");
  o.key_file = f.get("key-file");
  o.min_group = static_cast<int>(f.number("min-group", 3, min_group_floor, min_group_ceiling));
  if (auto url = f.get("public-url")) o.public_url = trim_right_slash(*url);
  o.origins = f.all("allow-origin");
  if (o.public_url) o.origins.push_back(*o.public_url);
  o.trusted_proxies = f.all("trusted-proxy");
  try {  // checked here, so a proxy that is not an address is a usage error like any bad flag
    trusted_proxies{o.trusted_proxies};
  } catch (const std::invalid_argument& e) {
    throw flags::usage_error(e.what());
  }
  o.metrics_public = f.on("metrics-public");
  o.web_root = f.get("web-root").value_or("");
  o.net = read_net_limits(f);
  o.tls_cert = f.get("tls-cert");
  o.tls_key = f.get("tls-key");
  if (!o.tls_cert != !o.tls_key) throw flags::usage_error("--tls-cert and --tls-key go together");
  o.rates = read_rate_limits(f);
  o.nats = read_nats_servers(f);
  if (o.nats.empty() && f.get("nats-replicas")) throw flags::usage_error("--nats-replicas goes with --nats");
  o.nats_replicas = static_cast<int>(f.number("nats-replicas", 1, 1, 5));
  f.done();
  return o;
}

std::string read_key_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read the key file " + path);
  std::string key;
  std::getline(in, key);
  while (!key.empty() && (key.back() == '\r' || key.back() == ' ')) key.pop_back();
  if (key.empty()) throw std::runtime_error("the key file " + path + " is empty");
  return key;
}

// Refusing the right key while an address is limited only makes sense if guessing is hopeless
// anyway: 22 characters are 132 bits of base64 (88 of hex), far beyond 5 guesses a minute.
// Shorter keys are refused rather than padded, so the facilitator knows.
constexpr std::size_t min_key_length = 22;

std::string long_enough(std::string key, const std::string& from) {
  if (key.size() >= min_key_length) return key;
  throw std::runtime_error("the facilitator key from " + from + " has " + std::to_string(key.size()) +
                           " characters; it needs at least " + std::to_string(min_key_length) +
                           " characters (128 bits). Make one with: openssl rand -base64 24 (or leave the key "
                           "out: a random one is made and printed)");
}

/// The facilitator key: --key, else --key-file, else $ROUNDTABLE_KEY, else a random one (generated);
/// throws for a given key shorter than 22 characters.
std::string facilitator_key(const serve_options& o, bool& generated) {
  generated = false;
  if (o.key) return long_enough(*o.key, "--key");
  if (o.key_file) return long_enough(read_key_file(*o.key_file), "--key-file " + *o.key_file);
  if (const char* env = std::getenv("ROUNDTABLE_KEY"); env && *env) return long_enough(env, "ROUNDTABLE_KEY");
  generated = true;
  return crypto::random_token(32);
}

// Every 2 s: heap pages freed after a wave of joins go back to the kernel (a few ms of work,
// only once another 2 MiB lie free).
class periodic_trim {
public:
  explicit periodic_trim(boost::asio::io_context& ioc) : timer_(ioc), trimmer_(2u << 20) {}
  void start() {
    timer_.expires_after(std::chrono::seconds(2));
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      trimmer_.maybe_trim();
      start();
    });
  }
  void stop() { timer_.cancel(); }

private:
  boost::asio::steady_timer timer_;
  heap_trimmer trimmer_;
};

void print_banner(const serve_options& o, const std::string& scheme, unsigned short port, const std::string& base,
                  const std::string& key, bool generated, std::size_t scenarios) {
  std::cout << "listening on " << scheme << "://"
            << (o.host.find(':') != std::string::npos ? "[" + o.host + "]" : o.host) << ":" << port << std::endl;
  if (generated)
    std::cout << "console: " << base << "/host#key=" << key << std::endl;
  else
    std::cout << "console: " << base << "/host (with your facilitator key)" << std::endl;
  std::cout << "participants: " << base << "/" << std::endl;
  std::cout << "scenarios: " << scenarios << " from " << o.scenarios_dir << "; ";
  if (o.nats.empty())
    std::cout << "database: " << o.db;
  else
    std::cout << "event log: NATS JetStream (" << o.nats.size() << " server(s), " << o.nats_replicas << " replica(s))";
  std::cout << "; stop with Ctrl-C" << std::endl;
}

/// The event log: JetStream with --nats, else the SQLite file of --db.
std::unique_ptr<store::log_store> open_store(const serve_options& o) {
  if (o.nats.empty()) return store::event_store::open(o.db);
  store::jetstream_options js;
  js.servers = o.nats;
  js.replicas = o.nats_replicas;
  return store::jetstream_store::open(js);
}

/// Runs the io_context on `threads` threads (this one included) until it runs out of work.
void run_threads(boost::asio::io_context& ioc, int threads) {
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
}

// Serves until SIGINT or SIGTERM; returns the exit code.
int serve(const serve_options& o) {
  bool generated = false;
  const auto key = facilitator_key(o, generated);
  const auto catalog = load_catalog({o.scenarios_dir});
  if (!catalog.errors.empty()) {
    for (const auto& e : catalog.errors) std::cerr << e.to_string() << "\n";
    std::cerr << "facilitator: the scenarios have errors; nothing served (check them with 'facilitator validate "
              << o.scenarios_dir << "')\n";
    return 1;
  }
  // A file-size limit (RLIMIT_FSIZE) must fail the write (EFBIG: answered internal), not kill the server.
  std::signal(SIGXFSZ, SIG_IGN);
  auto store = open_store(o);

  boost::asio::io_context ioc(o.net.io_threads);
  auto application =
      std::make_unique<app>(ioc, *store, catalog.scenarios,
                            app_options{key, o.min_group, o.web_root, o.rates, o.trusted_proxies, o.metrics_public});
  auto tls = o.tls_cert ? net::make_tls_context(*o.tls_cert, *o.tls_key) : nullptr;
  const std::string scheme = tls ? "https" : "http";
  auto srv = net::server::create(ioc, *application, o.net, o.origins, tls);
  srv->start(o.host, o.port);
  // The base URL needs the bound port, known only now.
  const std::string display_host = o.host == "0.0.0.0" || o.host == "::" ? "127.0.0.1" : o.host;
  const std::string base = o.public_url.value_or(scheme + "://" + display_host + ":" + std::to_string(srv->port()));
  application->set_base_url(base);

  periodic_trim trim(ioc);
  trim.start();
  boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    trim.stop();
    application->shutdown();
    srv->stop();
  });

  print_banner(o, scheme, srv->port(), base, key, generated, catalog.scenarios.size());
  run_threads(ioc, o.net.io_threads);
  store->flush();
  return 0;
}

}  // namespace

int serve_command(const std::vector<std::string>& args) {
  return run_command("serve", args, {"metrics-public", "cap-loopback"}, serve_usage,
                     [&](flags& f) { return serve(read_serve_options(f)); });
}

}  // namespace roundtable::facilitator
