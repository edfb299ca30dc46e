// The WebSocket's transport under Beast (plain TCP): a bare socket that keeps Beast's writes
// and our raw frames apart, and its teardown.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>

#include <boost/asio/compose.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/core/tcp_stream.hpp>

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

}  // namespace roundtable::net::detail
