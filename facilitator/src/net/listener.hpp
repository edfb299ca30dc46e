// Accepts TCP connections and hands each to an http_session; also holds what every session
// shares (as chat-multi's shared_state): the handler, the limits, counters, the registry.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/error.hpp>

#include "net/handler.hpp"
#include "net/limits.hpp"

namespace boost::asio::ssl {
class context;
}

namespace roundtable::net::detail {

class session_base;

/// State shared by the server, the listener and every session; sessions keep it alive.
struct server_state {
  server_state(handler& app, limits lim, std::vector<std::string> allowed_origins,
               std::shared_ptr<boost::asio::ssl::context> tls)
      : app(app), lim(lim), allowed_origins(std::move(allowed_origins)), tls(std::move(tls)) {}

  handler& app;
  const limits lim;
  const std::vector<std::string> allowed_origins;
  /// Host names (not IP addresses) requests may name in their Host header besides localhost
  /// and IP literals: the hosts of allowed_origins, and --host when it is a name. Completed by
  /// server::start before the first connection is accepted, read-only after.
  std::vector<std::string> allowed_hosts;
  /// Set: every connection speaks TLS (https, wss) with this context; null: plain TCP.
  const std::shared_ptr<boost::asio::ssl::context> tls;

  std::atomic<std::size_t> connections{0};  // TCP connections, HTTP and WebSocket
  std::atomic<std::size_t> websockets{0};   // between on_open and on_close
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> queued_bytes{0};  // unsent, over every WebSocket (lim.max_queued_bytes)

  /// Thread-safe: over lim.max_queued_bytes, closes the sessions furthest behind until the
  /// rest fits (at most one walk of the registry at a time, and one every 10 ms).
  void shed_furthest_behind();

  /// Registers a live session so stop() can reach it.
  void enroll(session_base& s);
  /// Removes a session (its destructor).
  void withdraw(session_base& s);
  /// Takes a connection slot for a peer at address: false (nothing taken) when that address
  /// already holds lim.max_connections_per_address.
  bool take_address_slot(const std::string& address);
  /// Gives back a slot take_address_slot gave.
  void give_address_slot(const std::string& address);

  /// Weak pointers to every live session, copied under the lock, used after releasing it.
  std::vector<std::weak_ptr<session_base>> snapshot();

private:
  std::mutex mutex_;
  // Intrusive list: two pointers per connection, no allocation.
  session_base* head_ = nullptr;
  std::mutex address_mutex_;
  std::unordered_map<std::string, std::size_t> per_address_;  // open connections per peer address
  std::atomic<std::int64_t> last_shed_{0};                    // steady-clock ticks of the last walk
  std::atomic<bool> shedding_{false};
};

/// An HTTP or WebSocket session, as stop() sees it.
class session_base : public std::enable_shared_from_this<session_base> {
public:
  session_base(const session_base&) = delete;
  session_base& operator=(const session_base&) = delete;
  virtual ~session_base();

  /// Thread-safe: end soon, politely (WebSocket: close 1012 after queued frames).
  virtual void shutdown() = 0;
  /// Thread-safe: close the socket now.
  virtual void abort() = 0;

  /// Thread-safe, called by the server's keep-alive sweep every few seconds: ping a peer
  /// silent for half of limits::idle_timeout, drop one silent for all of it. Reads atomics
  /// and posts, nothing more. HTTP sessions time out on their own.
  virtual void keep_alive(std::chrono::steady_clock::time_point) {}

  /// Thread-safe: bytes queued and unsent, and whether a close is under way (they are then
  /// about to be dropped). HTTP sessions queue nothing.
  struct backlog {
    std::size_t bytes = 0;
    bool closing = false;
  };
  virtual backlog behind() const { return {}; }
  /// Thread-safe: the server's queues are over their bound and this one is furthest behind:
  /// drop what is queued and close 1008.
  virtual void shed() {}

protected:
  /// owns_slot: this session holds one of server_state::connections and one of its address's,
  /// released on destruction. address: the peer's (remote_address_of), empty if unknown.
  session_base(std::shared_ptr<server_state> state, bool owns_slot, std::string address);

  /// Joins the registry; call once owned by a shared_ptr. Shuts down at once if stopping.
  void enroll();
  /// Hands the connection slot to the session that takes the socket over.
  void release_slot() { owns_slot_ = false; }
  /// The socket is closed: its slot is free again (at the latest in the destructor).
  void give_back_slot();

  std::shared_ptr<server_state> state_;
  /// The peer's IP address, for the per-address limits only: never logged or stored.
  const std::string address_;

private:
  friend struct server_state;
  session_base* prev_ = nullptr;
  session_base* next_ = nullptr;
  bool enrolled_ = false;
  bool owns_slot_;
};

/// Logs an I/O failure unless it is an expected way for a connection to end. Never logs
/// an address.
void fail(boost::beast::error_code ec, const char* what);

/// The peer's IP address as text (IPv4-mapped IPv6 shown as IPv4); empty if unknown.
std::string remote_address_of(const boost::asio::ip::tcp::socket& socket);

/// Owns the acceptor. Built bound and listening, or not at all.
class listener : public std::enable_shared_from_this<listener> {
public:
  /// Opens, binds (reuse_address) and listens; throws std::runtime_error naming the endpoint.
  listener(boost::asio::io_context& ioc, std::shared_ptr<server_state> state,
           const boost::asio::ip::tcp::endpoint& endpoint);

  /// Starts accepting.
  void run();
  /// Thread-safe: stops accepting (closes the acceptor on its strand).
  void stop();
  /// The bound port.
  unsigned short port() const { return port_; }

private:
  void do_accept();
  void on_accept(boost::beast::error_code ec, boost::asio::ip::tcp::socket socket);
  void on_retry(boost::beast::error_code ec);

  boost::asio::io_context& ioc_;
  std::shared_ptr<server_state> state_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;  // backs off while out of file descriptors
  unsigned short port_ = 0;
  bool starved_ = false;  // accept failing (out of descriptors): logged once per episode
};

}  // namespace roundtable::net::detail
