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
#include <type_traits>
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

/// Told by a ws_transport when a write of Beast's own is over (see ws_transport).
class beast_write_listener {
public:
  /// On the connection's strand; the session may write again.
  virtual void beast_write_done() = 0;

protected:
  ~beast_write_listener() = default;
};

/// The WebSocket's transport: a bare TCP socket (no tcp_stream: Beast's websocket timeouts
/// and the keep-alive sweep do the timing, so its three timers and its extra layer in every
/// read and write would only cost memory and time).
///
/// Our data frames do not go through Beast: websocket_session frames them itself and writes
/// them straight to the socket, usually with one non-blocking sendmsg (no composed operation,
/// no completion to post). Beast still writes the handshake response, pongs, keep-alive pings
/// and close frames through async_write_some below; the two never interleave: Beast's write
/// waits while one of our frames is partly written, and we wait while Beast's is in flight.
///
/// Its teardown (after the close frames) reads and discards what the peer still sends until
/// its FIN, so closing does not reset the connection under the close frame. Beast 1.81's own
/// TCP teardown stops after its first read (it never stores that read's byte count), so a peer
/// still sending, e.g. the rest of a message over the limit, gets a reset instead of a 1009.
class ws_transport : public boost::asio::ip::tcp::socket {
public:
  using socket_type = boost::asio::ip::tcp::socket;

  /// Takes over an accepted socket (and its executor: the connection's strand, or the
  /// io_context's implicit one).
  explicit ws_transport(socket_type&& socket) : socket_type(std::move(socket)) {}

  /// Beast's writes come here (hiding the socket's own): started at once, or, while one of
  /// our frames is partly written, as soon as it is done.
  template <class ConstBufferSequence, class WriteHandler>
  void async_write_some(const ConstBufferSequence& buffers, WriteHandler&& handler) {
    using deferred_type = deferred_write<ConstBufferSequence, std::decay_t<WriteHandler>>;
    if (raw_writing_)
      deferred_ = std::make_unique<deferred_type>(*this, buffers, std::forward<WriteHandler>(handler));
    else
      start_beast_write(buffers, std::forward<WriteHandler>(handler));
  }

  /// Who hears of the end of Beast's writes (null: nobody).
  void set_listener(beast_write_listener* l) { listener_ = l; }
  /// True while a write of Beast's is in flight: ours must wait for beast_write_done.
  bool beast_writing() const { return beast_writing_; }
  /// One of our frames is being written asynchronously from now on.
  void begin_raw() { raw_writing_ = true; }
  /// It is done; a write of Beast's that waited for it starts now (true if one did).
  bool end_raw() {
    raw_writing_ = false;
    if (!deferred_) return false;
    auto d = std::move(deferred_);
    d->start();
    return true;
  }

private:
  struct deferred_base {
    virtual ~deferred_base() = default;
    virtual void start() = 0;
  };

  template <class Buffers, class Handler>
  struct deferred_write final : deferred_base {
    template <class H>
    deferred_write(ws_transport& t, const Buffers& b, H&& h) : transport(t), buffers(b), handler(std::forward<H>(h)) {}
    void start() override { transport.start_beast_write(buffers, std::move(handler)); }
    ws_transport& transport;
    Buffers buffers;  // Beast's own buffers, alive until its handler runs
    Handler handler;
  };

  // Beast's handler, then the listener, once the write is over. Invoked by the socket on the
  // connection's executor, which is also Beast's (everything here runs on it).
  template <class Handler>
  struct beast_write_done_handler {
    ws_transport* transport;
    Handler handler;
    void operator()(boost::system::error_code ec, std::size_t n) {
      ws_transport& t = *transport;
      t.beast_writing_ = false;
      std::move(handler)(ec, n);  // may start Beast's next write at once
      if (!t.beast_writing_ && t.listener_) t.listener_->beast_write_done();
    }
  };

  template <class ConstBufferSequence, class WriteHandler>
  void start_beast_write(const ConstBufferSequence& buffers, WriteHandler&& handler) {
    beast_writing_ = true;
    socket_type::async_write_some(
        buffers, beast_write_done_handler<std::decay_t<WriteHandler>>{this, std::forward<WriteHandler>(handler)});
  }

  beast_write_listener* listener_ = nullptr;
  std::unique_ptr<deferred_base> deferred_;  // at most one: Beast serialises its own writes
  bool beast_writing_ = false;
  bool raw_writing_ = false;
};

/// The TCP socket under a transport.
inline boost::asio::ip::tcp::socket& tcp_socket_of(ws_transport& s) {
  return s;
}
inline boost::asio::ip::tcp::socket& tcp_socket_of(boost::beast::tcp_stream& s) {
  return s.socket();
}

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
      if (role == boost::beast::role_type::server) socket.shutdown(boost::asio::socket_base::shutdown_send, ec);
      return socket.async_read_some(boost::asio::buffer(*buffer), std::move(self));
    }
    drained += n;
    if (!ec && drained <= drain_max) return socket.async_read_some(boost::asio::buffer(*buffer), std::move(self));
    if (ec == boost::asio::error::eof) ec = {};
    boost::beast::error_code ignored;
    if (role == boost::beast::role_type::client) socket.shutdown(boost::asio::socket_base::shutdown_send, ignored);
    socket.close(ignored);
    buffer.reset();
    self.complete(ec);
  }
};

}  // namespace teardown_detail

/// Found by Beast through argument-dependent lookup; preferred to Beast's tcp_stream overload.
template <class TeardownHandler>
void async_teardown(boost::beast::role_type role, ws_transport& stream, TeardownHandler&& handler) {
  boost::asio::async_compose<TeardownHandler, void(boost::beast::error_code)>(
      teardown_detail::drain_op{stream, role, nullptr}, handler, stream);
}

/// A new connection id: unique per process, never 0.
std::uint64_t next_connection_id();

/// Next: ws_transport (plain TCP) or tls_stream (explicitly instantiated for both in the .cpp).
template <class Next>
class websocket_session final : public session_base, public connection, private beast_write_listener {
public:
  /// Takes the socket or TLS stream (and its connection slot) from an http_session.
  template <class Arg>
  websocket_session(Arg&& next, std::shared_ptr<server_state> state)
      : session_base(std::move(state), true), ws_(std::forward<Arg>(next)), id_(next_connection_id()) {
    remote_ = remote_address_of(tcp_socket_of(boost::beast::get_lowest_layer(ws_)));
    if constexpr (raw_frames) ws_.next_layer().set_listener(this);
  }
  ~websocket_session() override {
    // Beast's impl (which holds the transport) may outlive this object by a moment.
    if constexpr (raw_frames) ws_.next_layer().set_listener(nullptr);
  }

  /// Completes the handshake for this upgrade request, then reads until the end.
  void run(http_request req);

  void send(std::shared_ptr<const std::string> text, std::uint64_t slot = 0) override;
  void send_pair(std::shared_ptr<const std::string> first, std::uint64_t first_slot,
                 std::shared_ptr<const std::string> second, std::uint64_t second_slot) override;
  void close(close_code code, std::string reason) override;
  std::uint64_t id() const override { return id_; }
  const std::string& remote_address() const override { return remote_; }
  std::size_t queued_bytes() const override { return queued_bytes_.load(); }
  bool closed() const override { return closed_.load(); }

  void shutdown() override;
  void abort() override;
  void keep_alive(std::chrono::steady_clock::time_point now) override;

  /// What a queued frame counts against limits::write_queue_max_bytes beyond its text: its
  /// queue slot and the handler that carried it to the strand.
  static constexpr std::size_t frame_overhead = 64;

  /// Over plain TCP our frames are written straight to the socket (see ws_transport); over
  /// TLS they go through Beast's async_write.
  static constexpr bool raw_frames = std::is_same_v<Next, ws_transport>;

private:
  std::shared_ptr<websocket_session> self();
  void on_accept(boost::beast::error_code ec);
  void do_read();
  void on_read(boost::beast::error_code ec, std::size_t n);
  bool admit(std::size_t cost);
  template <class Handler>
  void to_strand(Handler&& h);
  void arm_deadline();
  void on_send(std::shared_ptr<const std::string> text, std::uint64_t slot);
  void on_send_pair(std::shared_ptr<const std::string> first, std::uint64_t first_slot,
                    std::shared_ptr<const std::string> second, std::uint64_t second_slot);
  void enqueue(std::shared_ptr<const std::string> text, std::uint64_t slot);
  void do_write();
  void on_write(boost::beast::error_code ec, std::size_t n);
  void write_raw();
  void on_raw_write(boost::beast::error_code ec, std::size_t n);
  void beast_write_done() override;
  void frame_sent();
  void write_failed(boost::beast::error_code ec);
  void after_drain();
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

  // Memory per idle connection, measured on x86-64 with Boost 1.81 (heaptrack, live heap
  // blocks; net_test "idle footprint" guards the total, 4.3 KB with two io threads):
  // - 2.6 KB  Beast's websocket impl behind ws_ (make_shared): its fixed 1.5 KB read buffer
  //           (tcp_frame_size, not configurable in Boost 1.81), a timer, the close reason
  //           (128 B), the next layer (our socket). No write buffer: deflate is off and our
  //           frames never pass through Beast.
  // - 0.6 KB  the pending read: Beast's read op inside Asio's reactor op.
  // - 0.3 KB  this object (328 B).
  // - 0.2 KB  Asio's epoll entry for the socket (168 B); 0.1 KB the strand (none with one
  //           io thread: the io_context's implicit strand serves every connection).
  // - 0.1 KB  buffer_: only what the pending read prepared (first_read_max, 128 B); it is
  //           released after every message, so an idle connection never keeps a big one.
  // - queue_: nothing until the first send; released again once drained if it grew.
  // - deadline_: allocated only while closing. remote_: fits the small-string buffer (IPv4).
  // Gone: the tcp_stream (its impl and three timers, 0.6 KB) and the armed timer of Beast's
  // idle timeout (0.6 KB): one sweep of the server pings and drops silent peers.
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
  std::array<unsigned char, 10> frame_header_{};  // of the raw frame in flight
  std::atomic<std::size_t> queued_bytes_{0};      // counted in send(), released after the write
  std::atomic<bool> closed_{false};               // close requested or gone: send() drops frames
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
