// One WebSocket connection: reads messages for the handler, writes queued frames one at a
// time, closes when asked, when too far behind, or when the server stops.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/compose.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "net/handler.hpp"
#include "net/listener.hpp"
#include "net/tls.hpp"

#include <boost/beast/websocket/ssl.hpp>

namespace roundtable::net::detail {

/// The WebSocket's transport: a bare TCP socket (Beast's websocket timeouts do the timing, so
/// the three timers of a tcp_stream and its extra layer in every read and write would only
/// cost memory and time), whose teardown (after the close frames) reads and discards what
/// the peer still sends until its FIN, so closing does not reset the connection under the
/// close frame. Beast 1.81's own TCP teardown stops after its first read (it never stores
/// that read's byte count), so a peer still sending, e.g. the rest of a message over the
/// limit, gets a reset instead of a clean 1009.
class ws_transport : public boost::asio::ip::tcp::socket {
 public:
  /// Takes over an accepted socket (and its executor, the connection's strand).
  explicit ws_transport(boost::asio::ip::tcp::socket&& socket)
      : boost::asio::ip::tcp::socket(std::move(socket)) {}
};

/// The TCP socket under a transport.
inline boost::asio::ip::tcp::socket& tcp_socket_of(ws_transport& s) { return s; }
inline boost::asio::ip::tcp::socket& tcp_socket_of(boost::beast::tcp_stream& s) { return s.socket(); }

namespace teardown_detail {

// At most this much is drained; Beast's closing-handshake timeout bounds the time.
inline constexpr std::size_t drain_max = 1024 * 1024;

struct drain_op {
  ws_transport& stream;
  boost::beast::role_type role;
  std::unique_ptr<std::array<char, 2048>> buffer;
  std::size_t drained = 0;

  template <class Self>
  void operator()(Self& self, boost::beast::error_code ec = {}, std::size_t n = 0) {
    boost::asio::ip::tcp::socket& socket = stream;
    if (!buffer) {
      buffer = std::make_unique<std::array<char, 2048>>();
      // The server says it is done first (RFC 6455 7.1.1); errors show in the read below.
      if (role == boost::beast::role_type::server)
        socket.shutdown(boost::asio::socket_base::shutdown_send, ec);
      return socket.async_read_some(boost::asio::buffer(*buffer), std::move(self));
    }
    drained += n;
    if (!ec && drained <= drain_max)
      return socket.async_read_some(boost::asio::buffer(*buffer), std::move(self));
    if (ec == boost::asio::error::eof) ec = {};
    boost::beast::error_code ignored;
    if (role == boost::beast::role_type::client)
      socket.shutdown(boost::asio::socket_base::shutdown_send, ignored);
    socket.close(ignored);
    buffer.reset();
    self.complete(ec);
  }
};

}  // namespace teardown_detail

/// Found by Beast through argument-dependent lookup; preferred to Beast's tcp_stream overload.
template <class TeardownHandler>
void async_teardown(boost::beast::role_type role, ws_transport& stream,
                    TeardownHandler&& handler) {
  boost::asio::async_compose<TeardownHandler, void(boost::beast::error_code)>(
      teardown_detail::drain_op{stream, role, nullptr}, handler, stream);
}

/// A new connection id: unique per process, never 0.
std::uint64_t next_connection_id();

/// Next: ws_transport (plain TCP) or tls_stream (explicitly instantiated for both in the .cpp).
template <class Next>
class websocket_session final : public session_base, public connection {
 public:
  /// Takes the socket or TLS stream (and its connection slot) from an http_session.
  template <class Arg>
  websocket_session(Arg&& next, std::shared_ptr<server_state> state)
      : session_base(std::move(state), true), ws_(std::forward<Arg>(next)), id_(next_connection_id()) {
    remote_ = remote_address_of(tcp_socket_of(boost::beast::get_lowest_layer(ws_)));
  }

  /// Completes the handshake for this upgrade request, then reads until the end.
  void run(http_request req);

  void send(std::shared_ptr<const std::string> text, std::uint64_t slot = 0) override;
  void close(close_code code, std::string reason) override;
  std::uint64_t id() const override { return id_; }
  const std::string& remote_address() const override { return remote_; }
  std::size_t queued_bytes() const override { return queued_bytes_.load(); }
  bool closed() const override { return closed_.load(); }

  void shutdown() override;
  void abort() override;
  void keep_alive(std::chrono::steady_clock::time_point now) override;

  /// What a queued frame counts against limits::write_queue_max_bytes beyond its text: the
  /// queue slot and the strand's posted handler that carried it.
  static constexpr std::size_t frame_overhead = 64;

 private:
  std::shared_ptr<websocket_session> self();
  void on_accept(boost::beast::error_code ec);
  void do_read();
  void on_read(boost::beast::error_code ec, std::size_t n);
  void on_send(std::shared_ptr<const std::string> text, std::uint64_t slot);
  void do_write();
  void on_write(boost::beast::error_code ec, std::size_t n);
  void on_overflow();
  void start_close(close_code code, std::string reason);
  void do_close();
  void on_close(boost::beast::error_code ec);
  void on_deadline(boost::beast::error_code ec);
  void heard();
  void do_ping();
  void on_idle();
  void drop_queue();
  void finish();

  // Memory per idle connection, measured on x86-64 with Boost 1.81 (live heap blocks,
  // malloc's rounding included; net_test "idle footprint" guards the total), about 5.4 KB:
  // - 2.5 KB  Beast's websocket impl behind ws_: its fixed 1.5 KB read buffer (frame
  //           headers, small frames), a timer, the close reason (128 B), frame buffers.
  //           No write buffer: deflate is off, and a server writes straight from our strings.
  // - 1.0 KB  the pending read (Beast's composed read ops inside Asio's reactor op).
  // No tcp_stream (its impl and three timers cost 0.6 KB) and no timer wait of Beast's
  // idle timeout (0.6 KB): one sweep of the server pings and drops silent peers.
  // - 0.3 KB  this object (288 B: ws_ and the stream are pointers; see the members below).
  // - 0.2 KB  Asio's epoll entry for the socket (168 B); 0.1 KB the strand (72 B + count).
  // - 0.1 KB  buffer_: only what the pending read prepared (first_read_max, 128 B); it is
  //           released after every message, so an idle connection never keeps a big one.
  // - queue_: nothing until the first send; released again once drained if it grew.
  // - deadline_: allocated only while closing. remote_: fits the small-string buffer (IPv4).
  boost::beast::websocket::stream<Next> ws_;
  boost::beast::flat_buffer buffer_;
  // When the peer was last heard from (any frame, pongs included), in steady-clock ticks;
  // 0 until the handshake is done. Written on the strand, read by the keep-alive sweep.
  std::atomic<std::int64_t> heard_{0};
  std::atomic<std::int64_t> pinged_for_{0};  // the heard_ value a ping was last sent for
  struct queued {
    std::shared_ptr<const std::string> text;
    std::uint64_t slot;  // 0: never replaced
  };
  std::vector<queued> queue_;  // [queue_head_] is in flight while writing_
  std::size_t queue_head_ = 0;
  std::atomic<std::size_t> queued_bytes_{0};  // counted in send(), released after the write
  std::atomic<bool> closed_{false};           // close requested or gone: send() drops frames
  std::unique_ptr<boost::asio::steady_timer> deadline_;
  std::string close_reason_;
  std::string remote_;
  std::uint64_t id_;
  close_code close_code_ = close_code::normal;
  bool opened_ = false;           // on_open was called
  bool writing_ = false;          // a frame write is in flight
  bool pinging_ = false;          // a keep-alive ping is in flight
  bool close_requested_ = false;  // close after the queue drains
  bool close_started_ = false;    // async_close issued
  bool finished_ = false;         // read loop over, on_close called
};

}  // namespace roundtable::net::detail
