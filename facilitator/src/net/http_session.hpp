// One TCP connection while it speaks HTTP: answers requests through handler::on_http, and
// hands the socket to a websocket_session on an accepted upgrade of /ws.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

#include "net/handler.hpp"
#include "net/listener.hpp"
#include "net/tls.hpp"

namespace roundtable::net::detail {

/// Whether a WebSocket handshake may proceed: no Origin header (a non-browser client), or
/// exactly one Origin equal to scheme + "://" + the Host header, or to one of allowed (ASCII
/// case ignored, as in host names). "null", several Origins and look-alikes are refused.
bool origin_allowed(const http_request& req, const std::vector<std::string>& allowed, std::string_view scheme = "http");

/// Whether a request's Host header may be served (DNS rebinding): none (not a browser), or
/// exactly one naming localhost, an IP address, or one of names (ASCII case and a trailing dot
/// ignored). The port is not checked: see docs/security.md.
bool host_allowed(const http_request& req, const std::vector<std::string>& names);

/// The host of an origin or URL ("https://vote.example.org:8443/x" -> "vote.example.org"),
/// lower case, brackets kept for IPv6; empty when it has none.
std::string host_of_url(std::string_view url);

/// Stream: plain_stream or tls_stream (explicitly instantiated for both in the .cpp).
template <class Stream>
class http_session : public session_base {
public:
  /// Takes an accepted socket whose connection slot is already counted.
  http_session(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<server_state> state, std::string address);

  /// Starts reading requests.
  void run();
  void shutdown() override;
  void abort() override;

private:
  enum class then { read_next, close, linger };

  std::shared_ptr<http_session> self();
  void on_handshake(boost::beast::error_code ec);
  void do_read();
  void on_read(boost::beast::error_code ec, std::size_t n);
  void answer();
  void upgrade();
  void reply_error(boost::beast::http::status status, std::string_view text, bool keep_alive);
  void do_write(then next);
  void on_write(then next, boost::beast::error_code ec, std::size_t n);
  void do_linger();
  void on_linger(boost::beast::error_code ec, std::size_t n);

  // Memory: this object lives while a connection speaks HTTP (seconds), not while it is a
  // WebSocket, so its buffers are not part of the idle-participant footprint.
  Stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::optional<boost::beast::http::response<boost::beast::http::string_body>> res_;
  std::size_t lingered_ = 0;
  bool reading_ = false;
  bool stopping_ = false;
};

}  // namespace roundtable::net::detail
