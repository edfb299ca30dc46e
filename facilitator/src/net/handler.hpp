// What the transport and the application see of each other: a connection, an HTTP reply,
// and the handler the application implements.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

namespace roundtable::net {

using http_request = boost::beast::http::request<boost::beast::http::string_body>;
using close_code = boost::beast::websocket::close_code;

/// A fresh, process-unique, non-zero slot id for connection::send (thread-safe).
std::uint64_t new_slot();

/// One WebSocket connection, as the application sees it. Every member function is
/// thread-safe. The object lives as long as someone holds its shared_ptr; once closed,
/// send() and close() do nothing.
class connection {
public:
  virtual ~connection() = default;

  /// Queues one text frame; frames go out in order, one write in flight (with one io thread,
  /// the frame is queued, and usually written, before send returns). The same buffer may
  /// be handed to many connections (a broadcast is serialised once). When the unsent bytes
  /// would exceed limits::write_queue_max_bytes, the frame is dropped and the connection is
  /// closed with 1008 "too slow" instead. A frame with a non-zero `slot` (from new_slot())
  /// replaces a frame of the same slot that is still queued and not yet in flight, and goes
  /// to the back of the queue: a slow client gets the newest tally once, not every tally.
  virtual void send(std::shared_ptr<const std::string> text, std::uint64_t slot = 0) = 0;

  /// The same for two frames back to back, in one step: over plain TCP they usually leave in
  /// one write (a tally and the count that rides along with it).
  virtual void send_pair(std::shared_ptr<const std::string> first, std::uint64_t first_slot,
                         std::shared_ptr<const std::string> second, std::uint64_t second_slot) = 0;

  /// Closes with code and reason (cut to 123 bytes) once the frames queued before are sent;
  /// frames sent after this are dropped. on_close follows when the connection is gone.
  virtual void close(close_code code, std::string reason) = 0;

  /// The application gave this connection a role: from now on only the idle timeout ends it.
  /// A WebSocket never admitted is closed (1008) once limits::handshake_timeout has passed
  /// since on_open, so a socket that only answers pings cannot hold a slot. Thread-safe.
  virtual void admitted() {}

  /// Unique per process, never 0.
  virtual std::uint64_t id() const = 0;

  /// The client's IP address (handler::client_address of the upgrade request), for rate limiting
  /// only: never log or store it.
  virtual const std::string& remote_address() const = 0;

  /// Bytes accepted by send() and not yet written (for metrics and tests).
  virtual std::size_t queued_bytes() const = 0;

  /// True once a close is under way (asked for, too slow, server stopping) or the connection
  /// is gone: send() drops frames from then on.
  virtual bool closed() const = 0;

  /// Per-connection application state; the transport never touches it. Not synchronised:
  /// the application decides which strand reads and writes it.
  std::shared_ptr<void> user_data;
};

/// The application's answer to an HTTP request.
struct http_reply {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  /// Extra headers, e.g. {"Cache-Control", "no-cache"}. Without a Cache-Control the transport
  /// sends "no-store". Content-Length, Connection, Server and Transfer-Encoding are the
  /// transport's and are ignored here, as are names or values with CR, LF or NUL.
  std::vector<std::pair<std::string, std::string>> headers;
};

/// Implemented by the application. Called on the connection's strand (so never twice at
/// once for one connection), from any of the io_context's threads. Exceptions are caught
/// and logged: an HTTP request then gets 500, a WebSocket stays open.
class handler {
public:
  virtual ~handler() = default;

  /// A WebSocket opened on /ws (origin checked).
  virtual void on_open(const std::shared_ptr<connection>& c) = 0;

  /// One complete text message, valid UTF-8 (otherwise Beast closes with 1007).
  virtual void on_text(const std::shared_ptr<connection>& c, std::string text) = 0;

  /// A binary message arrived (its content is discarded; the protocol answers bad_message).
  virtual void on_binary(const std::shared_ptr<connection>& c) = 0;

  /// The connection is gone; exactly once per on_open, never without one.
  virtual void on_close(const std::shared_ptr<connection>& c) = 0;

  /// Every HTTP request that is not a WebSocket upgrade. HEAD arrives as HEAD: answer as
  /// for GET, the transport sends the headers only (with the body's Content-Length).
  virtual http_reply on_http(const http_request& req) = 0;

  /// The address an upgrade request from `peer` (an IP address) stands for, for rate limiting only:
  /// asked once per WebSocket upgrade, before the handshake; connection::remote_address() then
  /// returns the answer. By default the peer itself; an application behind a reverse proxy may
  /// read the client's address from the request (it must not throw).
  virtual std::string client_address(const http_request& req, const std::string& peer) {
    (void)req;
    return peer;
  }

  /// The same, with the peer's IP address (for rate limiting only: never log or store it).
  /// The transport calls this one; by default it forgets the address.
  virtual http_reply on_http(const http_request& req, const std::string& remote_address) {
    (void)remote_address;
    return on_http(req);
  }
};

}  // namespace roundtable::net
