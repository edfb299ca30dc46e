#include "net/websocket_session.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <string_view>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/field.hpp>

#include "net/log_sink.hpp"

namespace roundtable::net {

std::uint64_t new_slot() {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace roundtable::net

namespace roundtable::net::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

// An idle connection waits in a read that has already prepared its buffer: ask for only
// this much at the start of a message (most protocol messages fit), not Beast's default
// 1.5 KB. The rest of a longer message is read in further calls.
constexpr std::size_t first_read_max = 128;
// RFC 6455: a close frame's reason is at most 123 bytes.
constexpr std::size_t close_reason_max = 123;

std::string cut_reason(std::string reason) {
  if (reason.size() <= close_reason_max) return reason;
  std::size_t n = close_reason_max;
  // Do not cut a UTF-8 sequence in half: back up to the start of the cut character.
  while (n > 0 && (static_cast<unsigned char>(reason[n]) & 0xC0) == 0x80) --n;
  reason.resize(n);
  return reason;
}

// Connection ids are unique in the process, across servers.
std::atomic<std::uint64_t> connection_ids{1};

template <class F>
void guarded(const char* what, F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    report(severity::error, "handler_failed", std::string(what) + ": " + e.what());
  }
}

}  // namespace

std::uint64_t next_connection_id() {
  return connection_ids.fetch_add(1);
}

template <class Next>
std::shared_ptr<websocket_session<Next>> websocket_session<Next>::self() {
  return std::static_pointer_cast<websocket_session>(shared_from_this());
}

template <class Next>
void websocket_session<Next>::run(http_request req) {
  enroll();
  // Behind a trusted proxy the application reads the client's address from the upgrade request.
  guarded("client_address", [&] {
    if (auto client = state_->app.client_address(req, address_); client != address_)
      client_address_ = std::move(client);
  });
  const auto& lim = state_->lim;
  // Beast times the opening and closing handshakes; silence is the keep-alive sweep's
  // (keep_alive), so an idle connection has no timer wait of its own.
  auto timeout = websocket::stream_base::timeout::suggested(beast::role_type::server);
  timeout.handshake_timeout = lim.handshake_timeout;
  timeout.idle_timeout = websocket::stream_base::none();
  timeout.keep_alive_pings = false;
  ws_.set_option(timeout);
  // Pongs (and pings, closes) count as hearing from the peer; called inside our reads, on
  // the strand, while ws_ (which holds the callback) is alive.
  ws_.control_callback([this](websocket::frame_type, beast::string_view) { heard(); });
  websocket::permessage_deflate deflate;  // off: no zlib state per connection
  deflate.server_enable = false;
  deflate.client_enable = false;
  ws_.set_option(deflate);
  ws_.read_message_max(lim.ws_message_max);
  ws_.auto_fragment(false);
  ws_.text(true);
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(beast::http::field::server, "roundtable"); }));
  // We are on the connection's strand (the http_session's): accept the upgrade.
  ws_.async_accept(req, beast::bind_front_handler(&websocket_session::on_accept, self()));
}

template <class Next>
void websocket_session<Next>::on_accept(beast::error_code ec) {
  if (ec) return fail(ec, "websocket accept");
  if (phase_ == phase::handshake_then_close) return do_close();  // the server stopped during the handshake
  phase_ = phase::open;
  heard();
  roleless_since_.store(heard_.load(std::memory_order_relaxed), std::memory_order_relaxed);
  state_->websockets.fetch_add(1);
  guarded("on_open", [&] { state_->app.on_open(self()); });
  do_read();
}

template <class Next>
void websocket_session<Next>::do_read() {
  // read_message_max holds for the whole message across these partial reads.
  ws_.async_read_some(buffer_, buffer_.size() == 0 ? first_read_max : 0,
                      beast::bind_front_handler(&websocket_session::on_read, self()));
}

template <class Next>
void websocket_session<Next>::on_read(beast::error_code ec, std::size_t) {
  // Closed by either side, too big (Beast sent 1009), bad UTF-8 (1007), timed out, reset.
  if (ec) {
    fail(ec, "websocket read");
    return finish();
  }
  heard();
  if (!ws_.is_message_done()) return do_read();
  const bool text = ws_.got_text();
  std::string message;
  if (text) message = beast::buffers_to_string(buffer_.data());
  // Release the buffer: an idle connection holds none, whatever it received before.
  buffer_.consume(buffer_.size());
  buffer_.shrink_to_fit();
  // Once a close is under way, what still arrives is not delivered.
  if (phase_ == phase::open) {
    if (text)
      guarded("on_text", [&] { state_->app.on_text(self(), std::move(message)); });
    else
      guarded("on_binary", [&] { state_->app.on_binary(self()); });
  }
  do_read();
}

template <class Next>
bool websocket_session<Next>::admit(std::size_t cost) {
  // Counted here, before the post, so frames waiting on the strand are bounded too.
  const std::size_t before = queued_bytes_.fetch_add(cost);
  const std::size_t total = state_->queued_bytes.fetch_add(cost) + cost;
  if (before + cost <= state_->lim.write_queue_max_bytes) {
    if (total > state_->lim.max_queued_bytes) state_->shed_furthest_behind();
    return true;
  }
  unqueue(cost);
  if (!closed_.exchange(true))
    asio::post(ws_.get_executor(), beast::bind_front_handler(&websocket_session::on_overflow, self()));
  return false;
}

template <class Next>
void websocket_session<Next>::unqueue(std::size_t cost) {
  queued_bytes_.fetch_sub(cost);
  state_->queued_bytes.fetch_sub(cost);
}

template <class Next>
void websocket_session<Next>::shed() {
  if (!closed_.exchange(true))
    asio::post(ws_.get_executor(), beast::bind_front_handler(&websocket_session::on_overflow, self()));
}

template <class Next>
template <class Handler>
void websocket_session<Next>::to_strand(Handler&& h) {
  // With one io thread everything runs on it, so a frame is queued (and usually written) at
  // once: no handler allocated and run per delivery of a broadcast, and the frames still go
  // in the order sent. With more, posted: a frame sent from the connection's own strand must
  // not overtake one the room queued before it.
  if (state_->lim.io_threads == 1)
    asio::dispatch(ws_.get_executor(), std::forward<Handler>(h));
  else
    asio::post(ws_.get_executor(), std::forward<Handler>(h));
}

template <class Next>
void websocket_session<Next>::send(std::shared_ptr<const std::string> text, std::uint64_t slot) {
  if (!text || closed_.load() || !admit(frame_queue::cost(*text))) return;
  to_strand(beast::bind_front_handler(&websocket_session::on_send, self(), std::move(text), slot));
}

template <class Next>
void websocket_session<Next>::send_pair(std::shared_ptr<const std::string> first, std::uint64_t first_slot,
                                        std::shared_ptr<const std::string> second, std::uint64_t second_slot) {
  if (!first) return send(std::move(second), second_slot);
  if (!second) return send(std::move(first), first_slot);
  if (closed_.load() || !admit(frame_queue::cost(*first) + frame_queue::cost(*second))) return;
  to_strand(beast::bind_front_handler(&websocket_session::on_send_pair, self(), std::move(first), first_slot,
                                      std::move(second), second_slot));
}

template <class Next>
void websocket_session<Next>::on_send(std::shared_ptr<const std::string> text, std::uint64_t slot) {
  enqueue(std::move(text), slot);
  if (can_start_write()) do_write();
}

template <class Next>
void websocket_session<Next>::on_send_pair(std::shared_ptr<const std::string> first, std::uint64_t first_slot,
                                           std::shared_ptr<const std::string> second, std::uint64_t second_slot) {
  enqueue(std::move(first), first_slot);
  enqueue(std::move(second), second_slot);
  if (can_start_write()) do_write();
}

template <class Next>
void websocket_session<Next>::enqueue(std::shared_ptr<const std::string> text, std::uint64_t slot) {
  if (writes_over()) {
    unqueue(frame_queue::cost(*text));
    return;
  }
  // A newer frame of the same slot supersedes one still waiting (never the one in flight).
  if (const std::size_t replaced = queue_.push(std::move(text), slot, in_flight())) unqueue(replaced);
}

template <class Next>
void websocket_session<Next>::do_write() {
  if constexpr (raw_frames) return write_raw();
  write_ = frame_write::in_flight;
  ws_.async_write(asio::buffer(queue_.at(0)), beast::bind_front_handler(&websocket_session::on_write, self()));
}

template <class Next>
void websocket_session<Next>::on_write(beast::error_code ec, std::size_t) {
  write_ = frame_write::idle;
  frame_sent();
  if (ec) return write_failed(ec);
  if (!queue_.empty()) return do_write();
  after_drain();
}

template <class Next>
void websocket_session<Next>::write_raw() {
  if constexpr (raw_frames) {
    auto& transport = ws_.next_layer();
    // The queued frames, up to gather_max at a time, with one non-blocking sendmsg each; what
    // the socket does not take at once goes out asynchronously, and the next frame waits for it.
    std::array<std::string_view, gather_max> texts;
    while (!queue_.empty()) {
      if (writes_over()) return drop_queue();
      if (transport.beast_writing()) return;  // beast_write_done() picks up from here
      const std::size_t count = std::min(gather_max, queue_.size());
      for (std::size_t i = 0; i < count; ++i) texts[i] = queue_.at(i);
      const sent_frames sent = send_frames(transport.native_handle(), {texts.data(), count});
      if (sent.error != 0) return write_failed(beast::error_code(sent.error, boost::system::system_category()));
      for (std::size_t i = 0; i < sent.whole; ++i) frame_sent();  // the next frame is at the front again
      if (sent.whole < count) return write_rest(sent.next, sent.next_written);
    }
    after_drain();
  }
}

template <class Next>
void websocket_session<Next>::write_rest(const frame_header& header, std::size_t written) {
  if constexpr (raw_frames) {
    // The front frame is partly written (or not at all): the rest of it asynchronously.
    auto& transport = ws_.next_layer();
    std::copy(header.bytes.begin(), header.bytes.end(), frame_header_.begin());
    write_ = frame_write::in_flight;
    transport.begin_raw();
    const std::array<asio::const_buffer, 2> frame{asio::buffer(frame_header_.data(), header.size),
                                                  asio::buffer(queue_.at(0))};
    beast::buffers_suffix<std::array<asio::const_buffer, 2>> rest(frame);
    rest.consume(written);
    // The socket's own async_write_some (not the transport's, which is Beast's way in).
    asio::async_write(static_cast<ws_transport::socket_type&>(transport), rest,
                      beast::bind_front_handler(&websocket_session::on_raw_write, self()));
  }
}

template <class Next>
void websocket_session<Next>::on_raw_write(beast::error_code ec, std::size_t) {
  if constexpr (raw_frames) {
    write_ = frame_write::idle;
    frame_sent();
    // A write of Beast's that waited for ours (a pong, a close) goes first; it calls
    // beast_write_done() when it is over.
    const bool beast_next = ws_.next_layer().end_raw();
    if (ec) return write_failed(ec);
    if (!beast_next) write_raw();
  }
}

template <class Next>
void websocket_session<Next>::beast_write_done() {
  // Not for the handshake's response: frames start after on_accept.
  if (live() && write_ == frame_write::idle) write_raw();
}

template <class Next>
void websocket_session<Next>::frame_sent() {
  unqueue(queue_.pop());
}

template <class Next>
void websocket_session<Next>::write_failed(beast::error_code ec) {
  closed_.store(true);
  drop_queue();
  fail(ec, "websocket write");
  // The read usually fails too and finishes the session; if the peer keeps the connection
  // half open instead (e.g. it never sends the FIN our teardown waits for), this ends it.
  arm_deadline();
}

template <class Next>
void websocket_session<Next>::after_drain() {
  if (phase_ == phase::draining) do_close();
}

template <class Next>
void websocket_session<Next>::drop_queue() {
  // Everything queued but not in flight.
  unqueue(queue_.drop_after(in_flight()));
}

template <class Next>
void websocket_session<Next>::on_overflow() {
  // Too far behind: what is queued would only grow. Drop it and close; a peer that does
  // not read may not take the close frame either, and the deadline then ends it.
  drop_queue();
  start_close(close_code::policy_error, "too slow");
}

template <class Next>
void websocket_session<Next>::close(close_code code, std::string reason) {
  if (closed_.exchange(true)) return;
  asio::post(ws_.get_executor(),
             beast::bind_front_handler(&websocket_session::start_close, self(), code, cut_reason(std::move(reason))));
}

template <class Next>
void websocket_session<Next>::shutdown() {
  close(close_code::service_restart, "server restart");
}

template <class Next>
void websocket_session<Next>::abort() {
  asio::post(ws_.get_executor(), [self = self()] { beast::get_lowest_layer(self->ws_).close(); });
}

template <class Next>
void websocket_session<Next>::heard() {
  heard_.store(std::chrono::steady_clock::now().time_since_epoch().count(), std::memory_order_relaxed);
}

template <class Next>
void websocket_session<Next>::keep_alive(std::chrono::steady_clock::time_point now) {
  const std::int64_t heard = heard_.load(std::memory_order_relaxed);
  if (heard == 0) return;  // the opening handshake: Beast's handshake timeout bounds it
  const std::int64_t idle =
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(state_->lim.idle_timeout).count();
  const std::int64_t silent = now.time_since_epoch().count() - heard;
  const std::int64_t roleless = roleless_since_.load(std::memory_order_relaxed);
  const std::int64_t handshake =
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(state_->lim.handshake_timeout).count();
  if (roleless != 0 && now.time_since_epoch().count() - roleless >= handshake)
    close(close_code::policy_error, "no join, watch or host in time");
  // Closing or not: a close the peer started inside Beast's read (its close frame, or a frame
  // Beast refused) has no timer of its own, and a peer that never finishes it is cut here.
  if (silent >= idle) {
    asio::post(ws_.get_executor(), beast::bind_front_handler(&websocket_session::on_idle, self()));
  } else if (!closed_.load() && silent >= idle / 2 && pinged_for_.exchange(heard) != heard) {
    // Once per silence: a pong (or anything else) moves heard_ on.
    asio::post(ws_.get_executor(), beast::bind_front_handler(&websocket_session::do_ping, self()));
  }
}

template <class Next>
void websocket_session<Next>::do_ping() {
  if (phase_ != phase::open || ping_in_flight_) return;
  ping_in_flight_ = true;
  ws_.async_ping({}, [self = self()](beast::error_code) { self->ping_in_flight_ = false; });
}

template <class Next>
void websocket_session<Next>::on_idle() {
  if (phase_ == phase::closed) return;
  const std::int64_t idle =
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(state_->lim.idle_timeout).count();
  const std::int64_t now = std::chrono::steady_clock::now().time_since_epoch().count();
  if (now - heard_.load(std::memory_order_relaxed) < idle) return;  // heard from it meanwhile
  // As Beast's idle timeout does: the peer is gone or stuck, no closing handshake.
  beast::get_lowest_layer(ws_).close();
}

template <class Next>
void websocket_session<Next>::start_close(close_code code, std::string reason) {
  closed_.store(true);
  if (phase_ != phase::handshake && phase_ != phase::open) return;  // closing already, or gone
  const bool opened = phase_ == phase::open;
  phase_ = opened ? phase::draining : phase::handshake_then_close;  // (on_accept closes after the handshake)
  close_code_ = code;
  close_reason_ = std::move(reason);
  // Queued frames, then the closing handshake, within one handshake timeout; else hard.
  arm_deadline();
  if (opened && write_ == frame_write::idle && queue_.empty()) do_close();  // else once drained
}

template <class Next>
void websocket_session<Next>::arm_deadline() {
  if (deadline_ || phase_ == phase::closed) return;
  deadline_ = std::make_unique<asio::steady_timer>(ws_.get_executor());
  deadline_->expires_after(state_->lim.handshake_timeout);
  deadline_->async_wait([weak = weak_from_this()](beast::error_code ec) {
    if (auto s = weak.lock()) std::static_pointer_cast<websocket_session>(s)->on_deadline(ec);
  });
}

template <class Next>
void websocket_session<Next>::do_close() {
  phase_ = phase::closing;
  ws_.async_close(websocket::close_reason(close_code_, close_reason_),
                  beast::bind_front_handler(&websocket_session::on_close, self()));
}

template <class Next>
void websocket_session<Next>::on_close(beast::error_code ec) {
  if (ec) fail(ec, "websocket close");
  if (deadline_) deadline_->cancel();
  // Done either way: make sure the read (if any) ends now.
  beast::get_lowest_layer(ws_).close();
}

template <class Next>
void websocket_session<Next>::on_deadline(beast::error_code ec) {
  if (ec) return;  // cancelled: closed in time
  beast::get_lowest_layer(ws_).close();
}

template <class Next>
void websocket_session<Next>::finish() {
  if (phase_ == phase::closed) return;
  // Only the read loop ends here, and it starts at on_open: a session closed in its handshake
  // never comes here; the check keeps on_close paired with on_open all the same.
  const bool opened = phase_ != phase::handshake && phase_ != phase::handshake_then_close;
  phase_ = phase::closed;
  closed_.store(true);
  if (deadline_) deadline_->cancel();
  drop_queue();
  // Any write still in flight ends too; the descriptor is free from here on, even if the
  // application keeps its shared_ptr a little longer.
  beast::get_lowest_layer(ws_).close();
  give_back_slot();
  if (!opened) return;
  state_->websockets.fetch_sub(1);
  guarded("on_close", [&] { state_->app.on_close(self()); });
}

template class websocket_session<ws_transport>;
template class websocket_session<tls_stream>;

}  // namespace roundtable::net::detail
