#include "commands.hpp"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "app.hpp"
#include "crypto.hpp"
#include "export.hpp"
#include "heap.hpp"
#include "net/server.hpp"
#include "net/tls.hpp"
#include "roundtable/session.hpp"
#include "scenario_files.hpp"
#include "store/event_store.hpp"

namespace roundtable::facilitator {

namespace {

// Reads `--name value` and `--name=value` flags; anything unknown is an error.
class flags {
public:
  flags(std::string command, const std::vector<std::string>& args) : command_(std::move(command)) {
    for (std::size_t i = 0; i < args.size(); ++i) {
      const auto& a = args[i];
      if (a == "-h" || a == "--help") {
        help_ = true;
        continue;
      }
      if (a.rfind("--", 0) != 0) throw usage_error("unexpected argument '" + a + "'");
      const auto eq = a.find('=');
      if (eq != std::string::npos) {
        values_.emplace_back(a.substr(2, eq - 2), a.substr(eq + 1));
        continue;
      }
      if (i + 1 >= args.size()) throw usage_error(a + " needs a value");
      values_.emplace_back(a.substr(2), args[++i]);
    }
  }
  bool help() const { return help_; }
  std::optional<std::string> get(const std::string& name) {
    std::optional<std::string> v;
    for (auto it = values_.begin(); it != values_.end();) {
      if (it->first == name) {
        v = it->second;
        it = values_.erase(it);
      } else {
        ++it;
      }
    }
    return v;
  }
  std::vector<std::string> all(const std::string& name) {
    std::vector<std::string> out;
    for (auto it = values_.begin(); it != values_.end();) {
      if (it->first == name) {
        out.push_back(it->second);
        it = values_.erase(it);
      } else {
        ++it;
      }
    }
    return out;
  }
  long number(const std::string& name, long fallback, long lo, long hi) {
    const auto v = get(name);
    if (!v) return fallback;
    char* end = nullptr;
    const long n = std::strtol(v->c_str(), &end, 10);
    if (v->empty() || *end != '\0' || n < lo || n > hi)
      throw usage_error("--" + name + " must be a whole number from " + std::to_string(lo) + " to " +
                        std::to_string(hi));
    return n;
  }
  void done() const {
    if (!values_.empty()) throw usage_error("unknown option --" + values_.front().first);
  }
  struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
  };

private:
  std::string command_;
  bool help_ = false;
  std::vector<std::pair<std::string, std::string>> values_;
};

constexpr const char* serve_usage =
    "usage: facilitator serve [OPTIONS]\n"
    "\n"
    "Runs workshops: HTTP and WebSocket on one port, sessions stored in SQLite.\n"
    "\n"
    "  --host HOST          address to listen on (default 127.0.0.1; 0.0.0.0 lets phones on your network join)\n"
    "  --port PORT          port, 0 for any free one (default 8080)\n"
    "  --db FILE            SQLite database (default roundtable.db)\n"
    "  --scenarios DIR      scenario folder (default scenarios)\n"
    "  --key KEY            facilitator key (or env ROUNDTABLE_KEY, or --key-file); random when none\n"
    "  --key-file FILE      read the facilitator key from the first line of FILE\n"
    "  --min-group N        anonymity threshold, 1 to 50 (default 3)\n"
    "  --public-url URL     how participants reach this server, e.g. https://vote.example.org\n"
    "  --allow-origin URL   another origin allowed to open WebSockets (repeatable)\n"
    "  --web-root DIR       serve the web pages from DIR (e.g. facilitator/web) instead of the built-in copy\n"
    "  --tls-cert FILE      serve https and wss with this PEM certificate chain (with --tls-key)\n"
    "  --tls-key FILE       the PEM private key of --tls-cert\n"
    "  --threads N          I/O threads (default: one per core)\n"
    "  --max-message BYTES  largest WebSocket message (default 65536)\n"
    "  --max-connections N  open connections at most (default 19900)\n"
    "  --max-header BYTES   largest HTTP request header, else 431 (default 8192)\n"
    "  --max-body BYTES     largest HTTP request body, else 413 (default 16384)\n"
    "  --handshake-timeout S  seconds to send an HTTP request or finish the WebSocket handshake (default 10)\n"
    "  --idle-timeout S     a WebSocket silent this long is closed; pinged at half of it (default 60)\n"
    "  --write-queue BYTES  unsent bytes per connection before it is dropped as too slow (default 262144)\n"
    "  --rate-messages N    messages per second (and burst) per connection, else rate_limited (default 30)\n"
    "  --join-failures-per-connection N  wrong join codes per connection and window (default 5)\n"
    "  --join-failures-per-address N     wrong join codes per address and window (default 60)\n"
    "  --key-failures-per-address N      wrong facilitator keys per address and window (default 5)\n"
    "  --failure-window S   the window of those failure limits, in seconds (default 60)\n"
    "\n"
    "Stop with Ctrl-C or SIGTERM: pending votes are committed, then it exits.\n";

std::string trim_right_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
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

}  // namespace

int serve_command(const std::vector<std::string>& args) {
  try {
    flags f("serve", args);
    if (f.help()) {
      std::cout << serve_usage;
      return 0;
    }
    const std::string host = f.get("host").value_or("127.0.0.1");
    const auto port = static_cast<unsigned short>(f.number("port", 8080, 0, 65535));
    const std::string db = f.get("db").value_or("roundtable.db");
    const std::string scenarios_dir = f.get("scenarios").value_or("scenarios");
    auto key = f.get("key");
    const auto key_file = f.get("key-file");
    const int min_group = static_cast<int>(f.number("min-group", 3, min_group_floor, min_group_ceiling));
    const auto public_url = f.get("public-url");
    auto origins = f.all("allow-origin");
    const std::string web_root = f.get("web-root").value_or("");
    const auto cores = std::max(1u, std::thread::hardware_concurrency());
    const int threads = static_cast<int>(f.number("threads", cores, 1, 64));
    net::limits lim;
    lim.ws_message_max = static_cast<std::size_t>(f.number("max-message", 64 * 1024, 1024, 16 * 1024 * 1024));
    lim.max_connections = static_cast<std::size_t>(f.number("max-connections", 19900, 1, 1'000'000));
    lim.http_header_max = static_cast<std::size_t>(f.number("max-header", 8 * 1024, 1024, 1024 * 1024));
    lim.http_body_max = static_cast<std::size_t>(f.number("max-body", 16 * 1024, 0, 16 * 1024 * 1024));
    lim.handshake_timeout = std::chrono::seconds(f.number("handshake-timeout", 10, 1, 3600));
    lim.idle_timeout = std::chrono::seconds(f.number("idle-timeout", 60, 2, 86400));
    lim.write_queue_max_bytes = static_cast<std::size_t>(f.number("write-queue", 256 * 1024, 4096, 1 << 30));
    lim.io_threads = threads;
    const auto tls_cert = f.get("tls-cert");
    const auto tls_key = f.get("tls-key");
    if (!tls_cert != !tls_key) throw flags::usage_error("--tls-cert and --tls-key go together");
    rate_limits rl;
    rl.messages_per_second = static_cast<int>(f.number("rate-messages", 30, 1, 1'000'000));
    rl.join_failures_per_connection = static_cast<int>(f.number("join-failures-per-connection", 5, 1, 1'000'000));
    rl.join_failures_per_address = static_cast<int>(f.number("join-failures-per-address", 60, 1, 1'000'000));
    rl.key_failures_per_address = static_cast<int>(f.number("key-failures-per-address", 5, 1, 1'000'000));
    rl.failure_window = std::chrono::seconds(f.number("failure-window", 60, 1, 86400));
    f.done();

    if (!key && key_file) key = read_key_file(*key_file);
    if (!key)
      if (const char* env = std::getenv("ROUNDTABLE_KEY"); env && *env) key = env;
    const bool generated = !key;
    if (generated) key = crypto::random_token(32);

    const auto catalog = load_catalog({scenarios_dir});
    if (!catalog.errors.empty()) {
      for (const auto& e : catalog.errors) std::cerr << e.to_string() << "\n";
      std::cerr << "facilitator: the scenarios have errors; nothing served (check them with 'facilitator validate "
                << scenarios_dir << "')\n";
      return 1;
    }
    // A file-size limit (RLIMIT_FSIZE) must fail the write (EFBIG: answered internal), not
    // kill the server.
    std::signal(SIGXFSZ, SIG_IGN);
    auto store = store::event_store::open(db);

    boost::asio::io_context ioc(threads);
    const std::string display_host = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host;
    app_options opts{*key, min_group, web_root, rl};
    // The base URL needs the bound port, known only after start: fill it in then.
    auto application = std::make_unique<app>(ioc, *store, catalog.scenarios, opts);
    if (public_url) origins.push_back(trim_right_slash(*public_url));
    auto tls = tls_cert ? net::make_tls_context(*tls_cert, *tls_key) : nullptr;
    const std::string scheme = tls ? "https" : "http";
    auto srv = net::server::create(ioc, *application, lim, origins, tls);
    srv->start(host, port);
    const std::string local = scheme + "://" + display_host + ":" + std::to_string(srv->port());
    application->set_base_url(public_url ? trim_right_slash(*public_url) : local);

    // Every 2 s: heap pages freed after a wave of joins go back to the kernel (a few ms of
    // work, only once another 2 MiB lie free).
    boost::asio::steady_timer trim_timer(ioc);
    heap_trimmer trimmer(2u << 20);
    std::function<void()> schedule_trim = [&] {
      trim_timer.expires_after(std::chrono::seconds(2));
      trim_timer.async_wait([&](const boost::system::error_code& ec) {
        if (ec) return;
        trimmer.maybe_trim();
        schedule_trim();
      });
    };
    schedule_trim();

    boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      trim_timer.cancel();
      application->shutdown();
      srv->stop();
    });

    std::cout << "listening on " << scheme << "://" << (host.find(':') != std::string::npos ? "[" + host + "]" : host)
              << ":" << srv->port() << std::endl;
    const std::string base = public_url ? trim_right_slash(*public_url) : local;
    if (generated)
      std::cout << "console: " << base << "/host#key=" << *key << std::endl;
    else
      std::cout << "console: " << base << "/host (with your facilitator key)" << std::endl;
    std::cout << "participants: " << base << "/" << std::endl;
    std::cout << "scenarios: " << catalog.scenarios.size() << " from " << scenarios_dir << "; database: " << db
              << "; stop with Ctrl-C" << std::endl;

    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i) pool.emplace_back([&ioc] { ioc.run(); });
    ioc.run();
    for (auto& t : pool) t.join();
    store->flush();
    return 0;
  } catch (const flags::usage_error& e) {
    std::cerr << "facilitator serve: " << e.what() << "\n\n" << serve_usage;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "facilitator serve: " << e.what() << "\n";
    return 1;
  }
}

namespace {

constexpr const char* export_usage =
    "usage: facilitator export --db FILE --code CODE [--format json|csv] [--out FILE]\n"
    "\n"
    "Writes a session's export (pseudonymous ballots, tallies, perspectives) from the database,\n"
    "with the same anonymity threshold as the live views. Default format json, default output stdout.\n";

constexpr const char* purge_usage =
    "usage: facilitator purge --db FILE (--code CODE | --ended-before YYYY-MM-DD)\n"
    "\n"
    "Deletes sessions for good: their events, ballots and perspectives. Codes are never reused.\n"
    "Stop the server first, or purge from its console: a running server keeps its own copy in memory.\n";

}  // namespace

int export_command(const std::vector<std::string>& args) {
  try {
    flags f("export", args);
    if (f.help()) {
      std::cout << export_usage;
      return 0;
    }
    const auto db = f.get("db");
    const auto code = f.get("code");
    const auto format = f.get("format").value_or("json");
    const auto out = f.get("out");
    f.done();
    if (!db || !code) throw flags::usage_error("--db and --code are required");
    if (format != "json" && format != "csv") throw flags::usage_error("--format is json or csv");
    auto store = store::event_store::open(*db);
    const auto e = export_session(*store, *code);
    if (!e) {
      std::cerr << "facilitator export: no session has the code " << *code << " in " << *db << "\n";
      return 1;
    }
    const std::string text = format == "csv" ? export_csv(*e) : e->dump(2) + "\n";
    if (!out) {
      std::cout << text;
      return 0;
    }
    std::ofstream file(*out, std::ios::binary);
    file << text;
    if (!file) throw std::runtime_error("cannot write " + *out);
    return 0;
  } catch (const flags::usage_error& e) {
    std::cerr << "facilitator export: " << e.what() << "\n\n" << export_usage;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "facilitator export: " << e.what() << "\n";
    return 1;
  }
}

int purge_command(const std::vector<std::string>& args) {
  try {
    flags f("purge", args);
    if (f.help()) {
      std::cout << purge_usage;
      return 0;
    }
    const auto db = f.get("db");
    const auto code = f.get("code");
    const auto before = f.get("ended-before");
    f.done();
    if (!db || (!code == !before)) throw flags::usage_error("--db and one of --code or --ended-before are required");
    auto store = store::event_store::open(*db);
    if (code) {
      if (!store->purge(*code)) {
        std::cerr << "facilitator purge: no session has the code " << *code << "\n";
        return 1;
      }
      std::cout << "purged " << *code << "\n";
      return 0;
    }
    std::tm tm{};
    std::istringstream in(*before);
    in >> std::get_time(&tm, "%Y-%m-%d");
    if (in.fail() || !in.eof()) throw flags::usage_error("--ended-before takes a date as YYYY-MM-DD");
    const auto ms = static_cast<std::int64_t>(timegm(&tm)) * 1000;
    const auto purged = store->purge_ended_before(ms);
    for (const auto& c : purged) std::cout << "purged " << c << "\n";
    std::cout << purged.size() << (purged.size() == 1 ? " session" : " sessions") << " purged\n";
    return 0;
  } catch (const flags::usage_error& e) {
    std::cerr << "facilitator purge: " << e.what() << "\n\n" << purge_usage;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "facilitator purge: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace roundtable::facilitator
