// The WebSocket under a client connection: over plain TCP (ws://) or over TLS (wss://).
// The one place that knows there are two kinds; connection.cpp calls it without asking which.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

namespace roundtable::client {

/// How a TLS connection is checked: the CAs to trust and the name the certificate must carry.
struct tls_settings {
  std::shared_ptr<boost::asio::ssl::context> context;  // peer verification on, CAs loaded
  std::string server_name;                             // sent as SNI (names only) and verified
};

/// A client TLS context that verifies the server against the system's CAs, or against the
/// CAs in ca_file only when given; throws std::runtime_error when ca_file cannot be used.
std::shared_ptr<boost::asio::ssl::context> make_client_tls_context(const std::optional<std::string>& ca_file);

/// A client WebSocket stream, plain or TLS, chosen once at construction.
class ws_stream {
public:
  using handler = std::function<void(boost::beast::error_code)>;
  using io_handler = std::function<void(boost::beast::error_code, std::size_t)>;

  /// A plain stream without tls, a TLS stream checked as tls says with it; throws std::runtime_error
  /// when the name cannot be set for checking (the connection is then refused, never made unchecked).
  ws_stream(boost::asio::any_io_executor ex, const std::optional<tls_settings>& tls);

  /// The TCP stream underneath (connect, timers, cancel, close).
  boost::beast::tcp_stream& tcp();
  boost::asio::any_io_executor get_executor();
  /// Our client's WebSocket options: no compression, a read limit, our User-Agent.
  void set_client_options(std::size_t read_message_max);
  /// After the handshake: Beast's client timeouts (idle pings answered), this handshake bound.
  void set_open_timeouts(std::chrono::milliseconds handshake_timeout);
  /// The TLS handshake first where there is TLS, then the WebSocket handshake.
  void async_handshake(const std::string& host, const std::string& path, handler h);
  void async_read(boost::beast::flat_buffer& buffer, io_handler h);
  void async_write(boost::asio::const_buffer data, io_handler h);
  void async_close(handler h);
  /// The close frame the server sent.
  const boost::beast::websocket::close_reason& reason() const;
  /// After a failed handshake: why the server's certificate was refused, in words (nullopt
  /// when it was not: plain TCP, or a failure that is not about the certificate).
  std::optional<std::string> certificate_problem() const;

private:
  using plain = boost::beast::websocket::stream<boost::beast::tcp_stream>;
  using secure = boost::beast::websocket::stream<boost::beast::ssl_stream<boost::beast::tcp_stream>>;
  static std::variant<plain, secure> make(boost::asio::any_io_executor ex, const std::optional<tls_settings>& tls);

  std::variant<plain, secure> ws_;
  std::string server_name_;  // empty for plain
};

}  // namespace roundtable::client
