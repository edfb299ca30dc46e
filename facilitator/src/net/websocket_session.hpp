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

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "net/frame_queue.hpp"
#include "net/frame_writer.hpp"
#include "net/handler.hpp"
#include "net/listener.hpp"
#include "net/tls.hpp"
#include "net/ws_transport.hpp"

#include <boost/beast/websocket/ssl.hpp>

namespace roundtable::net::detail {

/// A new connection id: unique per process, never 0.
std::uint64_t next_connection_id();

/// Next: ws_transport (plain TCP) or tls_stream (explicitly instantiated for both in the .cpp).
template <class Next>
class websocket_session final : public session_base, public connection, private beast_write_listener {
public:
  /// Takes the socket or TLS stream (and its connection slot) from an http_session.
  template <class Arg>
  websocket_session(Arg&& next, std::shared_ptr<server_state> state, std::string address)
      : session_base(std::move(state), true, std::move(address)),
        ws_(std::forward<Arg>(next)),
        id_(next_connection_id()) {
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
  /// The client's address: the peer's, or the one the application read behind a trusted proxy.
  const std::string& remote_address() const override { return client_address_.empty() ? address_ : client_address_; }
  std::size_t queued_bytes() const override { return queued_bytes_.load(); }
  bool closed() const override { return closed_.load(); }
  void admitted() override { roleless_since_.store(0, std::memory_order_relaxed); }

  void shutdown() override;
  void abort() override;
  void keep_alive(std::chrono::steady_clock::time_point now) override;
  backlog behind() const override { return {queued_bytes_.load(), closed_.load()}; }
  void shed() override;

  /// Over plain TCP our frames are written straight to the socket (see ws_transport); over
  /// TLS they go through Beast's async_write.
  static constexpr bool raw_frames = std::is_same_v<Next, ws_transport>;

private:
  std::shared_ptr<websocket_session> self();
  void on_accept(boost::beast::error_code ec);
  void do_read();
  void on_read(boost::beast::error_code ec, std::size_t n);
  bool admit(std::size_t cost);
  void unqueue(std::size_t cost);
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
  void write_rest(const frame_header& header, std::size_t written);
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

  // The connection's life, in order; each step only ever goes forward.
  enum class phase : std::uint8_t {
    handshake,             // the opening handshake is under way
    handshake_then_close,  // stopped during the handshake: close as soon as it is done, no on_open
    open,                  // on_open called: messages delivered, frames written
    draining,              // close asked for: queued frames still go out, then the close frame
    closing,               // async_close issued (from draining or handshake_then_close): no more frames
    closed,                // the read loop is over (on_close called)
  };
  // Our own frame writes, beside the phase rather than in it: a write started while open or
  // draining is still in flight when the read loop ends under it (closed), and it must finish
  // before the next one starts in either phase. (Beast's ping is a write of Beast's, tracked
  // apart: it may be in flight beside ours.)
  enum class frame_write : std::uint8_t { idle, in_flight };

  // Frames are no longer written or queued: the close frame is out, or the connection is gone.
  bool writes_over() const { return phase_ == phase::closing || phase_ == phase::closed; }
  // A frame write may start now.
  bool can_start_write() const { return write_ == frame_write::idle && !writes_over(); }
  // The handshake is done and the session is not finished: frames may be written (a session
  // closing after handshake_then_close has none queued, so nothing is).
  bool live() const { return phase_ >= phase::open && phase_ < phase::closed; }
  // How many frames at the queue's front are being written (0 or 1).
  std::size_t in_flight() const { return write_ == frame_write::in_flight ? 1 : 0; }

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
  // - deadline_: allocated only while closing. address_ (session_base): fits the small-string buffer (IPv4).
  // Gone: the tcp_stream (its impl and three timers, 0.6 KB) and the armed timer of Beast's
  // idle timeout (0.6 KB): one sweep of the server pings and drops silent peers.
  boost::beast::websocket::stream<Next> ws_;
  boost::beast::flat_buffer buffer_;
  // When the peer was last heard from (any frame, pongs included), in steady-clock ticks;
  // 0 until the handshake is done. Written on the strand, read by the keep-alive sweep.
  std::atomic<std::int64_t> heard_{0};
  std::atomic<std::int64_t> pinged_for_{0};  // the heard_ value a ping was last sent for
  // When on_open was called, until the application admits the connection (then 0).
  std::atomic<std::int64_t> roleless_since_{0};
  // Set only when the application names another client than the peer (behind a --trusted-proxy);
  // address_ stays the peer's, which holds the per-address connection slot.
  std::string client_address_;
  frame_queue queue_;                             // its front is in flight while write_ is in_flight
  std::array<unsigned char, 10> frame_header_{};  // of the raw frame in flight
  std::atomic<std::size_t> queued_bytes_{0};      // counted in send(), released after the write
  std::atomic<bool> closed_{false};               // close requested or gone: send() drops frames
  std::unique_ptr<boost::asio::steady_timer> deadline_;
  std::string close_reason_;
  std::uint64_t id_;
  close_code close_code_ = close_code::normal;
  phase phase_ = phase::handshake;
  frame_write write_ = frame_write::idle;
  bool ping_in_flight_ = false;  // a keep-alive ping (Beast's write) is under way
};

}  // namespace roundtable::net::detail
