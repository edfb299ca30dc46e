#include "net/listener.hpp"

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include <boost/asio/error.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/websocket/error.hpp>

#include "net/http_session.hpp"
#include "net/log_sink.hpp"

namespace roundtable::net::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

// ---- server_state -------------------------------------------------------------------------

void server_state::enroll(session_base& s) {
  const std::lock_guard lock(mutex_);
  s.prev_ = nullptr;
  s.next_ = head_;
  if (head_) head_->prev_ = &s;
  head_ = &s;
}

void server_state::withdraw(session_base& s) {
  const std::lock_guard lock(mutex_);
  if (s.prev_)
    s.prev_->next_ = s.next_;
  else
    head_ = s.next_;
  if (s.next_) s.next_->prev_ = s.prev_;
  s.prev_ = s.next_ = nullptr;
}

namespace {

// True for 127.0.0.0/8, ::1 and IPv4-mapped loopback: a peer on this machine.
bool is_loopback(const std::string& address) {
  boost::system::error_code ec;
  const auto a = boost::asio::ip::make_address(address, ec);
  if (ec) return false;
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6()).is_loopback();
  return a.is_loopback();
}

}  // namespace

bool server_state::take_address_slot(const std::string& address) {
  if (!lim.cap_loopback && is_loopback(address)) return true;  // never counted, so never given back
  const std::lock_guard lock(address_mutex_);
  auto& open = per_address_[address];
  if (open >= lim.max_connections_per_address) return false;
  ++open;
  return true;
}

void server_state::give_address_slot(const std::string& address) {
  const std::lock_guard lock(address_mutex_);
  const auto it = per_address_.find(address);
  if (it == per_address_.end()) return;
  if (--it->second == 0) per_address_.erase(it);
}

std::vector<std::weak_ptr<session_base>> server_state::snapshot() {
  std::vector<std::weak_ptr<session_base>> out;
  const std::lock_guard lock(mutex_);
  // A session whose destructor waits on this lock yields an expired pointer: skipped later.
  for (session_base* s = head_; s; s = s->next_) out.push_back(s->weak_from_this());
  return out;
}

void server_state::shed_furthest_behind() {
  const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  const auto every = std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::milliseconds(10));
  if (now - last_shed_.load() < every.count() || shedding_.exchange(true)) return;
  last_shed_.store(now);
  // Bytes of sessions already closing are as good as gone; the rest must fit under the bound.
  std::vector<std::pair<std::size_t, std::shared_ptr<session_base>>> open;
  std::size_t leaving = 0;
  for (auto& weak : snapshot()) {
    auto s = weak.lock();
    if (!s) continue;
    const auto b = s->behind();
    if (b.closing)
      leaving += b.bytes;
    else if (b.bytes > 0)
      open.emplace_back(b.bytes, std::move(s));
  }
  std::sort(open.begin(), open.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::size_t keep = queued_bytes.load() - std::min(leaving, queued_bytes.load());
  for (auto& [bytes, s] : open) {
    if (keep <= lim.max_queued_bytes) break;
    s->shed();
    keep -= std::min(keep, bytes);
  }
  shedding_.store(false);
}

// ---- session_base -------------------------------------------------------------------------

session_base::session_base(std::shared_ptr<server_state> state, bool owns_slot, std::string address)
    : state_(std::move(state)), address_(std::move(address)), owns_slot_(owns_slot) {}

session_base::~session_base() {
  if (enrolled_) state_->withdraw(*this);
  give_back_slot();
}

void session_base::give_back_slot() {
  if (!owns_slot_) return;
  owns_slot_ = false;
  state_->connections.fetch_sub(1);
  state_->give_address_slot(address_);
}

void session_base::enroll() {
  state_->enroll(*this);
  enrolled_ = true;
  // stop() sets the flag before it walks the registry: one of the two sees this session.
  if (state_->stopping.load()) shutdown();
}

// ---- fail -----------------------------------------------------------------------------------

void fail(beast::error_code ec, const char* what) {
  // The ordinary ways a peer goes away, times out or breaks the protocol: not news.
  if (ec == asio::error::operation_aborted || ec == asio::error::eof || ec == asio::error::connection_reset ||
      ec == asio::error::broken_pipe || ec == asio::error::not_connected || ec == asio::error::bad_descriptor ||
      ec == asio::error::timed_out || ec == beast::error::timeout || ec == beast::http::error::end_of_stream ||
      ec == beast::websocket::error::closed ||
      // Protocol violations and malformed requests are the client's business.
      ec.category() == beast::error_code(beast::websocket::error::closed).category() ||
      ec.category() == beast::error_code(beast::http::error::end_of_stream).category())
    return;
  report(severity::warning, "connection_failed", std::string(what) + ": " + ec.message());
}

std::string remote_address_of(const tcp::socket& socket) {
  beast::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  if (ec) return {};
  auto address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  return address.to_string();
}

// ---- listener -------------------------------------------------------------------------------

namespace {

[[noreturn]] void throw_listen_error(const tcp::endpoint& endpoint, const char* step, const beast::error_code& ec) {
  std::ostringstream out;
  out << "cannot listen on " << endpoint << ": " << ec.message() << " (" << step << ")";
  throw std::runtime_error(out.str());
}

bool out_of_descriptors(const beast::error_code& ec) {
  return ec == asio::error::no_descriptors ||                         // EMFILE
         ec == boost::system::errc::too_many_files_open_in_system ||  // ENFILE
         ec == asio::error::no_buffer_space || ec == asio::error::no_memory;
}

constexpr auto accept_retry_delay = std::chrono::milliseconds(50);

}  // namespace

listener::listener(asio::io_context& ioc, std::shared_ptr<server_state> state, const tcp::endpoint& endpoint)
    : ioc_(ioc), state_(std::move(state)), strand_(asio::make_strand(ioc)), acceptor_(strand_), retry_timer_(strand_) {
  beast::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) throw_listen_error(endpoint, "open", ec);
  acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) throw_listen_error(endpoint, "set_option", ec);
  acceptor_.bind(endpoint, ec);
  if (ec) throw_listen_error(endpoint, "bind", ec);
  acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw_listen_error(endpoint, "listen", ec);
  port_ = acceptor_.local_endpoint(ec).port();
  if (ec) throw_listen_error(endpoint, "local_endpoint", ec);
}

void listener::run() {
  asio::dispatch(strand_, beast::bind_front_handler(&listener::do_accept, shared_from_this()));
}

void listener::stop() {
  asio::post(strand_, [self = shared_from_this()] {
    beast::error_code ec;
    self->acceptor_.close(ec);
    self->retry_timer_.cancel();
  });
}

void listener::do_accept() {
  if (!acceptor_.is_open()) return;
  // Each connection gets its own strand, unless one thread runs everything (Asio's implicit
  // strand: handlers never run concurrently then).
  const asio::any_io_executor ex = state_->lim.io_threads == 1 ? asio::any_io_executor(ioc_.get_executor())
                                                               : asio::any_io_executor(asio::make_strand(ioc_));
  acceptor_.async_accept(ex, beast::bind_front_handler(&listener::on_accept, shared_from_this()));
}

void listener::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    // Out of descriptors (or memory), the connection stays in the backlog and the acceptor
    // stays readable: accepting again at once would spin. Wait, keep serving the
    // connections we have, then retry. Other accept errors get the same treatment.
    if (!starved_) {
      report(severity::error, "accept_failed",
             "accept: " + ec.message() + (out_of_descriptors(ec) ? " (out of descriptors)" : "") +
                 "; retrying every 50 ms");
    }
    starved_ = true;
    retry_timer_.expires_after(accept_retry_delay);
    return retry_timer_.async_wait(beast::bind_front_handler(&listener::on_retry, shared_from_this()));
  }
  if (starved_) report(severity::info, "accepting_again", "accepting again");
  starved_ = false;
  auto address = remote_address_of(socket);
  if (state_->stopping.load() || state_->connections.load() >= state_->lim.max_connections ||
      !state_->take_address_slot(address)) {
    // Over a limit: accepted only to be closed, so the backlog does not fill up.
    socket.close(ec);
    return do_accept();
  }
  state_->connections.fetch_add(1);
  if (state_->tls)
    std::make_shared<http_session<tls_stream>>(std::move(socket), state_, std::move(address))->run();
  else
    std::make_shared<http_session<plain_stream>>(std::move(socket), state_, std::move(address))->run();
  do_accept();
}

void listener::on_retry(beast::error_code ec) {
  if (ec) return;  // cancelled by stop()
  do_accept();
}

}  // namespace roundtable::net::detail
