// A client WebSocket connection (Boost.Beast) with a bounded write queue: what both
// `participant join` and `participant swarm` use to talk to a facilitator server.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include "client/ws_stream.hpp"

namespace roundtable::client {

/// Where to connect: the TCP endpoint, the Host header, the request target, and TLS or not.
struct target {
  boost::asio::ip::tcp::endpoint endpoint;
  std::string host;                 // Host header, e.g. "127.0.0.1:8080"
  std::string path = "/ws";         // request target
  std::optional<tls_settings> tls;  // wss: how the server's certificate is checked
};

/// Why a connection ended, as far as its owner decides whether to try again.
enum class close_cause : std::uint8_t {
  ended,        // closed (by either side) or failed on the way: trying again may help
  certificate,  // the server's TLS certificate was refused: trying again cannot help
};

/// What a connection tells its owner; every callback runs on the connection's executor.
struct events {
  /// The handshake completed; the connection can send.
  std::function<void()> on_open;
  /// One text message from the server (the view is valid during the call only).
  std::function<void(std::string_view)> on_message;
  /// The connection ended (never opened, closed by either side, or failed): why, in words.
  std::function<void(const std::string& why, close_cause cause)> on_close;
};

/// Tunables of one connection.
struct connection_options {
  /// Frames waiting to be written beyond this are refused by send().
  std::size_t queue_max = 64;
  /// TCP connect plus WebSocket handshake must finish within this.
  std::chrono::milliseconds handshake_timeout{15000};
  /// Bind the local end to this address first (spreads ephemeral ports over addresses).
  std::optional<boost::asio::ip::address> source;
  /// Largest message accepted from the server.
  std::size_t read_message_max = 16 * 1024 * 1024;
};

/// One WebSocket client connection; create() it, then start(), then send() after on_open.
class connection : public std::enable_shared_from_this<connection> {
public:
  /// A new, unconnected connection whose handlers run on ex (give each its own strand
  /// when the io_context runs on several threads).
  static std::shared_ptr<connection> create(boost::asio::any_io_executor ex, events ev, connection_options opts = {});

  /// Connects, completes the handshake and reads until the end; thread-safe.
  void start(target t);
  /// Queues one text frame; false when the queue is full or the connection is gone.
  /// Must be called on the connection's executor.
  bool send(std::string text);
  /// Starts a normal close (queued frames first); thread-safe, idempotent.
  void close();
  /// True between on_open and on_close.
  bool is_open() const { return phase_ == phase::open || phase_ == phase::closing; }
  /// The executor the handlers run on.
  boost::asio::any_io_executor executor() { return ex_; }

private:
  connection(boost::asio::any_io_executor ex, events ev, connection_options opts);
  void on_connect(boost::beast::error_code ec);
  void on_handshake(boost::beast::error_code ec);
  void do_read();
  void on_read(boost::beast::error_code ec, std::size_t n);
  void do_write();
  void on_write(boost::beast::error_code ec, std::size_t n);
  void do_close();
  void finish(const std::string& why, close_cause cause = close_cause::ended);

  std::optional<ws_stream> ws_;  // made by start(), which knows plain or TLS
  boost::asio::any_io_executor ex_;
  boost::beast::flat_buffer buffer_;
  events ev_;
  connection_options opts_;
  target target_;
  // The connection's life; each step only goes forward.
  enum class phase : std::uint8_t {
    connecting,             // connect or handshake under way
    connecting_then_close,  // close() came first: the connect is cancelled, or closed once open
    open,                   // on_open called: frames are sent and read
    closing,                // close() while open: queued frames go out, then the close frame
    finished,               // on_close called
  };
  // Our frame write, beside the phase: one is in flight or none.
  enum class frame_write : std::uint8_t { idle, in_flight };

  std::vector<std::string> queue_;  // [0] is in flight while write_ is in_flight
  phase phase_ = phase::connecting;
  frame_write write_ = frame_write::idle;
};

/// A server address from the command line: a ws:// or wss:// URL, or an http(s):// join link.
struct server_url {
  std::string host;  // as written (name or address)
  unsigned short port = 80;
  bool tls = false;                 // wss:// or https://
  std::string path = "/ws";         // WebSocket target
  std::optional<std::string> code;  // from an http://HOST:PORT/j/CODE link
};

/// Parses `ws[s]://HOST[:PORT]/ws` or `http[s]://HOST[:PORT]/j/CODE` (port 80, or 443 with TLS);
/// nullopt with why set when malformed.
std::optional<server_url> parse_server_url(std::string_view url, std::string& why);

/// Resolves a server URL to a connect target (blocking DNS lookup), with a TLS context that
/// trusts ca_file (or the system's CAs) for wss and https; throws on failure.
target resolve(const server_url& url, const std::optional<std::string>& ca_file = std::nullopt);

/// A fresh random participant token (22 to 64 characters of [A-Za-z0-9_-]), 32 characters.
std::string random_token();

/// The token kept in path, created (with its folder) when missing or invalid; throws when
/// the file cannot be written.
std::string load_or_create_token(const std::string& path);

/// Where `participant join` keeps the token for a server and code by default:
/// $XDG_CONFIG_HOME/roundtable/ (or ~/.config/roundtable/) token-HOST-PORT-CODE.
std::string default_token_path(const server_url& url, const std::string& code);

}  // namespace roundtable::client
