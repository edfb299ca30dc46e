#include "client/connection.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/websocket.hpp>

#include "roundtable/text.hpp"

namespace roundtable::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

std::shared_ptr<connection> connection::create(asio::any_io_executor ex, events ev, connection_options opts) {
  return std::shared_ptr<connection>(new connection(std::move(ex), std::move(ev), std::move(opts)));
}

connection::connection(asio::any_io_executor ex, events ev, connection_options opts)
    : ex_(std::move(ex)), ev_(std::move(ev)), opts_(std::move(opts)) {}

void connection::start(target t) {
  asio::post(ex_, [self = shared_from_this(), t = std::move(t)]() mutable {
    self->target_ = std::move(t);
    try {
      self->ws_.emplace(self->ex_, self->target_.tls);
    } catch (const std::runtime_error& e) {
      return self->finish(e.what(), close_cause::certificate);
    }
    auto& layer = self->ws_->tcp();
    beast::error_code ec;
    layer.socket().open(self->target_.endpoint.protocol(), ec);
    if (!ec && self->opts_.source) layer.socket().bind(tcp::endpoint(*self->opts_.source, 0), ec);
    if (ec) return self->finish("cannot open a socket: " + ec.message());
    // The tcp_stream's timer bounds connect and handshakes (TLS, WebSocket) together.
    layer.expires_after(self->opts_.handshake_timeout);
    layer.async_connect(self->target_.endpoint,
                        beast::bind_front_handler(&connection::on_connect, self->shared_from_this()));
  });
}

void connection::on_connect(beast::error_code ec) {
  if (ec) return finish("connect: " + ec.message());
  ws_->set_client_options(opts_.read_message_max);
  ws_->async_handshake(target_.host, target_.path,
                       beast::bind_front_handler(&connection::on_handshake, shared_from_this()));
}

void connection::on_handshake(beast::error_code ec) {
  if (ec) {
    if (auto problem = ws_->certificate_problem()) return finish(*problem, close_cause::certificate);
    return finish("handshake: " + ec.message());
  }
  // From here Beast's own timeouts: the server pings idle connections, we answer.
  ws_->tcp().expires_never();
  ws_->set_open_timeouts(opts_.handshake_timeout);
  const bool close_now = phase_ == phase::connecting_then_close;
  phase_ = close_now ? phase::closing : phase::open;
  if (ev_.on_open) ev_.on_open();
  if (close_now) return do_close();
  do_read();
}

void connection::do_read() {
  ws_->async_read(buffer_, beast::bind_front_handler(&connection::on_read, shared_from_this()));
}

void connection::on_read(beast::error_code ec, std::size_t) {
  if (ec == websocket::error::closed) {
    const auto& r = ws_->reason();
    return finish("closed by the server (" + std::to_string(r.code) +
                  (r.reason.empty() ? std::string() : " " + std::string(r.reason.data(), r.reason.size())) + ")");
  }
  if (ec) return finish("read: " + ec.message());
  const auto data = buffer_.cdata();
  if (ev_.on_message) ev_.on_message(std::string_view(static_cast<const char*>(data.data()), data.size()));
  buffer_.consume(buffer_.size());
  do_read();
}

bool connection::send(std::string text) {
  if (phase_ != phase::open || queue_.size() >= opts_.queue_max) return false;
  queue_.push_back(std::move(text));
  if (write_ == frame_write::idle) do_write();
  return true;
}

void connection::do_write() {
  write_ = frame_write::in_flight;
  ws_->async_write(asio::buffer(queue_.front()), beast::bind_front_handler(&connection::on_write, shared_from_this()));
}

void connection::on_write(beast::error_code ec, std::size_t) {
  write_ = frame_write::idle;
  queue_.erase(queue_.begin());
  if (ec) return finish("write: " + ec.message());
  if (!queue_.empty()) return do_write();
  if (phase_ == phase::closing) do_close();
}

void connection::close() {
  asio::post(ex_, [self = shared_from_this()] {
    if (self->phase_ == phase::connecting) {
      // Not open yet: stop the connect or handshake in progress.
      self->phase_ = phase::connecting_then_close;
      if (self->ws_) self->ws_->tcp().cancel();  // else start() has not run yet
      return;
    }
    if (self->phase_ != phase::open) return;  // closing or over already
    self->phase_ = phase::closing;
    if (self->write_ == frame_write::idle) self->do_close();
  });
}

void connection::do_close() {
  ws_->async_close([self = shared_from_this()](beast::error_code) {
    // The read loop ends with websocket::error::closed (or an error) and finishes.
    beast::error_code ignored;
    self->ws_->tcp().socket().close(ignored);
  });
}

void connection::finish(const std::string& why, close_cause cause) {
  if (phase_ == phase::finished) return;
  const bool asked = phase_ == phase::closing || phase_ == phase::connecting_then_close;
  phase_ = phase::finished;
  queue_.clear();
  beast::error_code ignored;
  if (ws_) ws_->tcp().socket().close(ignored);
  if (ev_.on_close) ev_.on_close(asked ? std::string("closed") : why, asked ? close_cause::ended : cause);
  // Break reference cycles through captured owners.
  ev_ = {};
}

namespace {

// A port number from 1 to 65535, in decimal digits only.
std::optional<unsigned short> parse_port(std::string_view digits) {
  int port = 0;
  for (char c : digits) {
    if (c < '0' || c > '9' || port > 65535) return std::nullopt;
    port = port * 10 + (c - '0');
  }
  if (digits.empty() || port <= 0 || port > 65535) return std::nullopt;
  return static_cast<unsigned short>(port);
}

}  // namespace

std::optional<server_url> parse_server_url(std::string_view url, std::string& why) {
  struct scheme {
    std::string_view prefix;
    bool join_link;  // http(s): the participant page's link, not the WebSocket's
    bool tls;
  };
  static constexpr scheme schemes[] = {
      {"ws://", false, false}, {"wss://", false, true}, {"http://", true, false}, {"https://", true, true}};
  const auto* s =
      std::find_if(std::begin(schemes), std::end(schemes), [&](const scheme& c) { return url.starts_with(c.prefix); });
  if (s == std::end(schemes)) {
    why = "the server URL must start with ws:// or wss:// (or be an http:// or https:// join link), got \"" +
          std::string(url) + "\"";
    return std::nullopt;
  }
  url.remove_prefix(s->prefix.size());
  const bool http = s->join_link;
  server_url out;
  out.tls = s->tls;
  const auto slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : url.substr(slash);
  const auto colon = authority.rfind(':');
  if (authority.empty() || colon == 0) {
    why = "the server URL has no host";
    return std::nullopt;
  }
  out.port = out.tls ? 443 : 80;
  if (colon != std::string_view::npos) {
    const auto port = parse_port(authority.substr(colon + 1));
    if (!port) {
      why = "the port in the server URL is not a number from 1 to 65535";
      return std::nullopt;
    }
    out.port = *port;
    authority = authority.substr(0, colon);
  }
  out.host = std::string(authority);
  if (http) {
    // http[s]://HOST:PORT/j/CODE: the participant page's link; the WebSocket is at /ws.
    if (path.starts_with("/j/")) {
      auto code = path.substr(3);
      while (!code.empty() && (code.back() == '/')) code.remove_suffix(1);
      out.code = std::string(code);
    }
    out.path = "/ws";
    return out;
  }
  out.path = path.empty() ? "/ws" : std::string(path);
  return out;
}

target resolve(const server_url& url, const std::optional<std::string>& ca_file) {
  asio::io_context ioc;
  tcp::resolver resolver(ioc);
  auto results = resolver.resolve(url.host, std::to_string(url.port));
  if (results.empty()) throw std::runtime_error("cannot resolve " + url.host);
  target t;
  t.endpoint = results.begin()->endpoint();
  t.host = url.host + ":" + std::to_string(url.port);
  t.path = url.path;
  if (url.tls) t.tls = tls_settings{make_client_tls_context(ca_file), url.host};
  return t;
}

std::string random_token() {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::random_device rd;
  std::string t(32, 'x');
  for (auto& c : t) c = alphabet[rd() % 64];
  return t;
}

std::string load_or_create_token(const std::string& path) {
  {
    std::ifstream in(path);
    std::string t;
    if (in && std::getline(in, t) && text::is_token(t)) return t;
  }
  const auto p = std::filesystem::path(path);
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
  const auto t = random_token();
  std::ofstream out(path, std::ios::trunc);
  out << t << "\n";
  if (!out) throw std::runtime_error("cannot write the token file " + path);
  std::filesystem::permissions(p, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  return t;
}

std::string default_token_path(const server_url& url, const std::string& code) {
  std::filesystem::path base;
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x)
    base = x;
  else if (const char* h = std::getenv("HOME"); h && *h)
    base = std::filesystem::path(h) / ".config";
  else
    base = ".";
  std::string host;
  for (char c : url.host) host += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') ? c : '_';
  return (base / "roundtable" / ("token-" + host + "-" + std::to_string(url.port) + "-" + code)).string();
}

}  // namespace roundtable::client
