#include "net/server.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/bind_handler.hpp>

#include "net/http_session.hpp"
#include "net/listener.hpp"
#include "net/tls.hpp"

namespace roundtable::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace {

// Watches a stopping server: done once no connection is left; at the deadline, closes
// whatever remains hard. Polls, so it needs no hooks in the sessions, and stops early.
class stop_watch : public std::enable_shared_from_this<stop_watch> {
public:
  stop_watch(asio::io_context& ioc, std::shared_ptr<detail::server_state> state)
      : timer_(asio::make_strand(ioc)),
        state_(std::move(state)),
        deadline_(std::chrono::steady_clock::now() + state_->lim.shutdown_timeout) {}

  void run() { poll(); }

private:
  void poll() {
    if (state_->connections.load() == 0) return;
    if (std::chrono::steady_clock::now() >= deadline_) {
      for (auto& weak : state_->snapshot())
        if (auto s = weak.lock()) s->abort();
      return;
    }
    timer_.expires_after(std::chrono::milliseconds(20));
    timer_.async_wait(beast::bind_front_handler(&stop_watch::on_tick, shared_from_this()));
  }

  void on_tick(beast::error_code ec) {
    if (ec) return;
    poll();
  }

  asio::steady_timer timer_;
  std::shared_ptr<detail::server_state> state_;
  std::chrono::steady_clock::time_point deadline_;
};

}  // namespace

namespace detail {

// Every few seconds, lets each WebSocket ping its peer after half the idle timeout of
// silence and drop it after all of it: one timer for the server instead of one armed timer
// per connection (600 bytes each). Ends when the server stops or is destroyed.
class keep_alive_sweep : public std::enable_shared_from_this<keep_alive_sweep> {
public:
  keep_alive_sweep(asio::io_context& ioc, std::shared_ptr<server_state> state)
      : timer_(asio::make_strand(ioc)), state_(std::move(state)) {}

  /// Schedules the first sweep.
  void run() { schedule(); }

  /// Thread-safe: no further sweeps.
  void stop() {
    asio::post(timer_.get_executor(), [self = shared_from_this()] {
      self->stopped_ = true;
      self->timer_.cancel();
    });
  }

private:
  // A silent peer is pinged at 1/2 to 1/2 + 1/8 of the idle timeout and dropped by 9/8 of it; a
  // connection without a role is closed by 3/2 of the handshake timeout.
  std::chrono::milliseconds interval() const {
    const auto eighth = std::chrono::duration_cast<std::chrono::milliseconds>(state_->lim.idle_timeout) / 8;
    const auto half = std::chrono::duration_cast<std::chrono::milliseconds>(state_->lim.handshake_timeout) / 2;
    return std::clamp(std::min(eighth, half), std::chrono::milliseconds(100), std::chrono::milliseconds(5000));
  }

  void schedule() {
    if (stopped_ || state_->stopping.load()) return;
    timer_.expires_after(interval());
    timer_.async_wait(beast::bind_front_handler(&keep_alive_sweep::on_tick, shared_from_this()));
  }

  void on_tick(beast::error_code ec) {
    if (ec || stopped_ || state_->stopping.load()) return;
    const auto now = std::chrono::steady_clock::now();
    for (auto& weak : state_->snapshot())
      if (auto s = weak.lock()) s->keep_alive(now);
    schedule();
  }

  asio::steady_timer timer_;
  std::shared_ptr<server_state> state_;
  bool stopped_ = false;
};

}  // namespace detail

namespace {

tcp::endpoint endpoint_for(asio::io_context& ioc, const std::string& host, unsigned short port) {
  beast::error_code ec;
  const auto address = asio::ip::make_address(host.empty() ? "0.0.0.0" : host, ec);
  if (!ec) return {address, port};
  tcp::resolver resolver(ioc);
  const auto results = resolver.resolve(host, std::to_string(port), ec);
  if (ec || results.empty())
    throw std::runtime_error("cannot listen on " + host + ":" + std::to_string(port) +
                             ": cannot resolve the host name (" + (ec ? ec.message() : std::string("no address")) +
                             ")");
  return results.begin()->endpoint();
}

}  // namespace

std::unique_ptr<server> server::create(asio::io_context& ioc, handler& app, limits lim,
                                       std::vector<std::string> allowed_origins,
                                       std::shared_ptr<asio::ssl::context> tls) {
  auto state = std::make_shared<detail::server_state>(app, lim, std::move(allowed_origins), std::move(tls));
  for (const auto& origin : state->allowed_origins)
    if (auto host = detail::host_of_url(origin); !host.empty()) state->allowed_hosts.push_back(std::move(host));
  return std::unique_ptr<server>(new server(ioc, std::move(state)));
}

server::server(asio::io_context& ioc, std::shared_ptr<detail::server_state> state)
    : ioc_(ioc), state_(std::move(state)) {}

server::~server() {
  if (listener_) listener_->stop();
  if (sweep_) sweep_->stop();
}

void server::start(const std::string& host, unsigned short port) {
  if (listener_) throw std::logic_error("server::start: already started");
  if (state_->stopping.load()) throw std::logic_error("server::start: already stopped");
  // The listener is built bound and listening, or throws and leaves nothing behind.
  auto l = std::make_shared<detail::listener>(ioc_, state_, endpoint_for(ioc_, host, port));
  // A name to listen on is a name the server answers to (an address is answered anyway).
  beast::error_code not_an_address;
  asio::ip::make_address(host, not_an_address);
  if (not_an_address && !host.empty()) state_->allowed_hosts.push_back(detail::host_of_url(host));
  port_ = l->port();
  listener_ = std::move(l);
  listener_->run();
  sweep_ = std::make_shared<detail::keep_alive_sweep>(ioc_, state_);
  sweep_->run();
}

unsigned short server::port() const {
  return port_;
}

void server::stop() {
  if (state_->stopping.exchange(true)) return;
  // Keeps run() from returning until every step below has posted its work. Without it, once the
  // listener and the sweep are stopped, the last session can end on an io thread while this
  // thread walks the registry: run() then returns for want of work, and the shutdown posted next
  // (which holds its session, and so its connection slot) and the stop_watch's timer never run.
  const auto work = asio::make_work_guard(ioc_);
  if (listener_) listener_->stop();
  if (sweep_) sweep_->stop();
  for (auto& weak : state_->snapshot())
    if (auto s = weak.lock()) s->shutdown();
  std::make_shared<stop_watch>(ioc_, state_)->run();
}

std::size_t server::connections() const {
  return state_->connections.load();
}

std::size_t server::websocket_connections() const {
  return state_->websockets.load();
}

}  // namespace roundtable::net
