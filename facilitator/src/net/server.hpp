// The facilitator's network transport: HTTP and WebSocket on one port (Boost.Beast).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "net/handler.hpp"
#include "net/limits.hpp"

namespace boost::asio::ssl {
class context;
}

namespace roundtable::net {

namespace detail {
struct server_state;
class listener;
class keep_alive_sweep;
}  // namespace detail

/// Listens on one port: /ws upgrades to a WebSocket handed to the handler, every other
/// request goes to handler::on_http. The handler and the io_context must outlive the
/// io_context's run(); the server object itself may go earlier.
class server {
public:
  /// A server that is not yet listening. allowed_origins: extra WebSocket origins
  /// (exact "scheme://host[:port]", e.g. --public-url and --allow-origin). tls: serve https and
  /// wss only, with this context (certificate and key loaded); null: plain http and ws.
  static std::unique_ptr<server> create(boost::asio::io_context& ioc, handler& app, limits lim,
                                        std::vector<std::string> allowed_origins,
                                        std::shared_ptr<boost::asio::ssl::context> tls = nullptr);

  server(const server&) = delete;
  server& operator=(const server&) = delete;
  /// Stops accepting; open connections carry on until they end (call stop() first).
  ~server();

  /// Binds host:port (port 0: any free port) and starts accepting; throws std::runtime_error
  /// naming the address on failure, std::logic_error if called twice.
  void start(const std::string& host, unsigned short port);

  /// The bound port (0 before start()).
  unsigned short port() const;

  /// Thread-safe and idempotent: stops accepting, closes every WebSocket with 1012 (service
  /// restart) after its queued frames, ends idle HTTP connections, and closes whatever is
  /// still open after limits::shutdown_timeout. run() then returns once the application's
  /// own work is done.
  void stop();

  /// Open TCP connections (HTTP and WebSocket), as limited by limits::max_connections.
  std::size_t connections() const;

  /// Open WebSockets (between on_open and on_close).
  std::size_t websocket_connections() const;

private:
  server(boost::asio::io_context& ioc, std::shared_ptr<detail::server_state> state);

  boost::asio::io_context& ioc_;
  std::shared_ptr<detail::server_state> state_;
  std::shared_ptr<detail::listener> listener_;
  std::shared_ptr<detail::keep_alive_sweep> sweep_;
  unsigned short port_ = 0;
};

}  // namespace roundtable::net
