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
#include "cluster/stream_follower.hpp"
#include "commands.hpp"
#include "crypto.hpp"
#include "heap.hpp"
#include "lan_address.hpp"
#include "log.hpp"
#include "net/log_sink.hpp"
#include "net/server.hpp"
#include "net/tls.hpp"
#include "roundtable/session.hpp"
#include "scenario_files.hpp"
#include "scenario_folder.hpp"
#include "scenario_library.hpp"
#include "serve_options.hpp"
#include "store/event_store.hpp"
#include "store/jetstream_key_store.hpp"
#include "store/jetstream_store.hpp"
#include "store/scenario_store.hpp"
#include "store/sqlite_key_store.hpp"
#include "trusted_proxies.hpp"

namespace roundtable::facilitator {

namespace {

constexpr const char* serve_usage = "usage: facilitator serve [OPTIONS]";
constexpr const char* serve_about = "Runs workshops: HTTP and WebSocket on one port, sessions stored in SQLite.";
constexpr const char* serve_footer = "Stop with Ctrl-C or SIGTERM: pending votes are committed, then it exits.\n";

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

// The base URL participants use: --public-url, else this machine's network address when bound
// to every interface (127.0.0.1 when it has none), else the host.
std::string participant_base(const serve_options& o, const std::string& scheme, unsigned short port) {
  if (o.public_url) return *o.public_url;
  std::string host = o.host;
  if (binds_every_interface(host)) host = pick_lan_address(local_addresses()).value_or("127.0.0.1");
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return scheme + "://" + host + ":" + std::to_string(port);
}

// Who can open the participant link: this machine only, or phones on the network, said plainly.
std::string reach_note(const serve_options& o, const std::string& base) {
  if (o.public_url) return "";
  if (!binds_every_interface(o.host))
    return o.host.rfind("127.", 0) == 0 || o.host == "::1"
               ? " (this machine only: --lan lets phones on your network join)"
               : "";
  if (base.find("//127.0.0.1:") != std::string::npos)
    return " (no network address found: phones cannot reach this link; give --public-url)";
  return " (phones on this network)";
}

void print_banner(const serve_options& o, const std::string& scheme, unsigned short port, const std::string& base,
                  const std::string& key, bool generated, std::size_t scenarios) {
  std::cout << "listening on " << scheme << "://"
            << (o.host.find(':') != std::string::npos ? "[" + o.host + "]" : o.host) << ":" << port << std::endl;
  if (generated)
    std::cout << "console: " << base << "/host#key=" << key << std::endl;
  else
    std::cout << "console: " << base << "/host (with your facilitator key)" << std::endl;
  std::cout << "participants: " << base << "/" << reach_note(o, base) << std::endl;
  std::cout << "scenarios: " << scenarios << " from " << o.scenarios_dir << "; ";
  if (o.nats.empty())
    std::cout << "database: " << o.db;
  else
    std::cout << "event log: NATS JetStream (" << o.nats.size() << " server(s), " << o.nats_replicas << " replica(s))";
  std::cout << "; stop with Ctrl-C" << std::endl;
}

/// The JetStream cluster of --nats.
store::jetstream_options nats_options(const serve_options& o) {
  store::jetstream_options js;
  js.servers = o.nats;
  js.replicas = o.nats_replicas;
  return js;
}

/// The event log: JetStream with --nats, else the SQLite file of --db.
std::unique_ptr<store::log_store> open_store(const serve_options& o) {
  if (o.nats.empty()) return store::event_store::open(o.db);
  return store::jetstream_store::open(nats_options(o));
}

/// The facilitators' keys: with --nats the cluster's KV bucket (every facilitator on it knows the same keys),
/// else the --db file.
std::unique_ptr<store::key_store> open_keys(const serve_options& o) {
  if (o.nats.empty()) return store::sqlite_key_store::open(o.db);
  return store::jetstream_key_store::open(nats_options(o));
}

/// Runs the io_context on `threads` threads (this one included) until it runs out of work.
void run_threads(boost::asio::io_context& ioc, int threads) {
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
}

// The operator's record of how this server was started: every option but the key (which is never logged).
// server_id: this server's id among the servers of a cluster (--nats; the smallest paces a shared session), or "".
void log_start(const serve_options& o, const std::string& scheme, unsigned short port, std::size_t scenarios,
               const std::string& server_id) {
  log::fields f{{"url", scheme + "://" + o.host + ":" + std::to_string(port)},
                {"db", o.db},
                {"scenarios", o.scenarios_dir + " (" + std::to_string(scenarios) + ")"},
                {"min_group", std::to_string(o.min_group)},
                {"threads", std::to_string(o.net.io_threads)},
                {"public_url", o.public_url.value_or("")},
                {"tls", o.tls_cert ? "on" : "off"},
                {"metrics_public", o.metrics_public ? "on" : "off"},
                {"max_connections", std::to_string(o.net.max_connections)}};
  if (!server_id.empty()) f.emplace_back("server_id", server_id);
  log::write(log::level::info, "server_started", "listening", f);
}

// The transport's own messages (accept failing, a TLS handshake refused) as operator log lines.
void log_transport_messages() {
  net::set_log_sink([](net::severity s, std::string_view event, std::string_view message) {
    const auto l = s == net::severity::error     ? log::level::error
                   : s == net::severity::warning ? log::level::warning
                                                 : log::level::info;
    log::write(l, event, message);
  });
}

// Serves until SIGINT or SIGTERM; returns the exit code.
int serve(const serve_options& o) {
  log::set_format(o.log_format);
  log_transport_messages();
  bool generated = false;
  const auto key = facilitator_key(o, generated);
  scenario_folder folder(o.scenarios_dir);
  if (!folder.errors().empty()) {
    for (const auto& e : folder.errors()) std::cerr << e.to_string() << "\n";
    std::cerr << "facilitator: the scenarios have errors; nothing served (check them with 'facilitator validate "
              << o.scenarios_dir << "')\n";
    return 1;
  }
  // A file-size limit (RLIMIT_FSIZE) must fail the write (EFBIG: answered internal), not kill the server.
  std::signal(SIGXFSZ, SIG_IGN);
  auto store = open_store(o);
  // Saved cases stay in the --db file, with --nats too (its events do not).
  if (!o.nats.empty()) store::create_schema(o.db);
  auto saved = store::scenario_store::open(o.db);
  auto keys = open_keys(o);
  scenario_library library(folder, *saved, o.cases);

  boost::asio::io_context ioc(o.net.io_threads);
  // With --nats, other servers may serve the same sessions: every room follows the stream (cluster/).
  auto follower = o.nats.empty() ? nullptr : std::make_unique<cluster::stream_follower>(nats_options(o));
  auto application = std::make_unique<app>(ioc, *store, *keys, library,
                                           app_options{key, o.min_group, o.web_root, o.rates, o.trusted_proxies,
                                                       o.metrics_public, o.confidential_retention, follower.get()});
  auto tls = o.tls_cert ? net::make_tls_context(*o.tls_cert, *o.tls_key) : nullptr;
  const std::string scheme = tls ? "https" : "http";
  auto srv = net::server::create(ioc, *application, o.net, o.origins, tls);
  srv->start(o.host, o.port);
  // The base URL needs the bound port, known only now.
  const std::string base = participant_base(o, scheme, srv->port());
  application->set_base_url(base);

  periodic_trim trim(ioc);
  trim.start();
  boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    log::write(log::level::info, "shutdown", "stopping: closing connections (1012) and flushing the store",
               {{"signal", signal == SIGINT ? "SIGINT" : "SIGTERM"}});
    trim.stop();
    application->shutdown();
    srv->stop();
  });

  print_banner(o, scheme, srv->port(), base, key, generated, folder.scenarios()->size());
  log_start(o, scheme, srv->port(), folder.scenarios()->size(), follower ? follower->server_id() : "");
  run_threads(ioc, o.net.io_threads);
  if (follower) follower->stop_blocking();  // its last requests use the rooms' services, which go with the app
  store->flush();
  // How often rooms were rebuilt from the log or went back to the stream's state: what a contended cluster costs.
  const auto& m = application->counters();
  log::write(log::level::info, "server_stopped", "stopped; every acked write is on disk",
             {{"reloads", std::to_string(m.reloads.load())},
              {"rebases", std::to_string(m.rebases.load())},
              {"forwarded", std::to_string(m.forwarded.load())},
              {"forwards_served", std::to_string(m.forwards_served.load())},
              {"forwards_decided_here", std::to_string(m.forwards_decided_here.load())}});
  return 0;
}

}  // namespace

int serve_command(const std::vector<std::string>& args) {
  cli::command_line line("facilitator", "serve", serve_usage, serve_about, serve_footer);
  serve_options o;
  declare_serve_options(line, o);
  return cli::run(line, args, [&] {
    complete_serve_options(o);
    return serve(o);
  });
}

}  // namespace roundtable::facilitator
