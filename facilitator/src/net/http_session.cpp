#include "net/http_session.hpp"

#include <algorithm>
#include <cctype>
#include <exception>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "net/log_sink.hpp"
#include "net/websocket_session.hpp"

namespace roundtable::net::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// After an error reply, read and discard at most this much of what the client was still
// sending, so closing does not reset the connection before the reply is read.
constexpr std::size_t linger_max_bytes = 1024 * 1024;

bool header_safe(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

// The path of a request target, without its query.
std::string_view target_path(std::string_view target) {
  return target.substr(0, target.find('?'));
}

}  // namespace

bool origin_allowed(const http_request& req, const std::vector<std::string>& allowed, std::string_view scheme_name) {
  const auto origins = req.equal_range(http::field::origin);
  const auto count = std::distance(origins.first, origins.second);
  if (count == 0) return true;  // not a browser: nothing to protect it from
  if (count > 1) return false;
  const std::string_view origin = origins.first->value();
  if (origin.empty()) return false;
  for (const auto& a : allowed)
    if (beast::iequals(origin, a)) return true;
  const auto hosts = req.equal_range(http::field::host);
  if (std::distance(hosts.first, hosts.second) != 1) return false;
  const std::string_view host = hosts.first->value();
  const std::string scheme = std::string(scheme_name) + "://";
  return !host.empty() && origin.size() == scheme.size() + host.size() &&
         beast::iequals(origin.substr(0, scheme.size()), scheme) && beast::iequals(origin.substr(scheme.size()), host);
}

namespace {

// The Host header's host without its port, lower case, one trailing dot dropped ("[::1]" kept).
std::string host_name(std::string_view host) {
  std::string_view name = host;
  if (!name.empty() && name.front() == '[') {
    name = name.substr(0, name.find(']') == std::string_view::npos ? name.size() : name.find(']') + 1);
  } else if (const auto colon = name.rfind(':'); colon != std::string_view::npos) {
    name = name.substr(0, colon);
  }
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string out(name);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// An IP literal cannot be rebound: a browser sends it only to the address it names.
bool is_ip_literal(const std::string& name) {
  beast::error_code ec;
  if (name.size() > 2 && name.front() == '[' && name.back() == ']') {
    asio::ip::make_address_v6(name.substr(1, name.size() - 2), ec);
    return !ec;
  }
  asio::ip::make_address_v4(name, ec);
  return !ec;
}

}  // namespace

std::string host_of_url(std::string_view url) {
  const auto scheme = url.find("://");
  if (scheme != std::string_view::npos) url.remove_prefix(scheme + 3);
  return host_name(url.substr(0, url.find_first_of("/?#")));
}

bool host_allowed(const http_request& req, const std::vector<std::string>& names) {
  const auto hosts = req.equal_range(http::field::host);
  const auto count = std::distance(hosts.first, hosts.second);
  if (count == 0) return true;  // HTTP/1.0 or a script: browsers always send one
  if (count > 1) return false;
  const std::string name = host_name(hosts.first->value());
  if (name.empty()) return false;
  if (name == "localhost" || is_ip_literal(name)) return true;
  return std::find(names.begin(), names.end(), name) != names.end();
}

namespace {

constexpr bool is_tls(const plain_stream*) {
  return false;
}
constexpr bool is_tls(const tls_stream*) {
  return true;
}

plain_stream make_stream(tcp::socket&& socket, server_state&, const plain_stream*) {
  return plain_stream(std::move(socket));
}
tls_stream make_stream(tcp::socket&& socket, server_state& state, const tls_stream*) {
  return tls_stream(std::move(socket), *state.tls);
}

}  // namespace

template <class Stream>
http_session<Stream>::http_session(tcp::socket&& socket, std::shared_ptr<server_state> state, std::string address)
    : session_base(std::move(state), true, std::move(address)),
      stream_(make_stream(std::move(socket), *state_, static_cast<const Stream*>(nullptr))) {}

template <class Stream>
std::shared_ptr<http_session<Stream>> http_session<Stream>::self() {
  return std::static_pointer_cast<http_session>(shared_from_this());
}

template <class Stream>
void http_session<Stream>::run() {
  enroll();
  beast::error_code ec;
  beast::get_lowest_layer(stream_).socket().set_option(tcp::no_delay(true), ec);  // small frames, sent at once
  if constexpr (is_tls(static_cast<const Stream*>(nullptr))) {
    // The TLS handshake first, within the handshake timeout (slowloris included).
    beast::get_lowest_layer(stream_).expires_after(state_->lim.handshake_timeout);
    reading_ = true;
    stream_.async_handshake(boost::asio::ssl::stream_base::server,
                            beast::bind_front_handler(&http_session::on_handshake, self()));
  } else {
    // Start on the connection's strand.
    asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&http_session::do_read, self()));
  }
}

template <class Stream>
void http_session<Stream>::on_handshake(beast::error_code ec) {
  reading_ = false;
  if (ec) return fail(ec, "tls handshake");
  do_read();
}

template <class Stream>
void http_session<Stream>::shutdown() {
  asio::post(stream_.get_executor(), [self = self()] {
    self->stopping_ = true;
    // Waiting for a request (keep-alive): end now. Writing a reply: end after it.
    if (self->reading_) beast::get_lowest_layer(self->stream_).cancel();
  });
}

template <class Stream>
void http_session<Stream>::abort() {
  asio::post(stream_.get_executor(), [self = self()] { beast::get_lowest_layer(self->stream_).close(); });
}

template <class Stream>
void http_session<Stream>::do_read() {
  if (stopping_) return;
  // A parser cannot be reused: a fresh one, with our limits, per request.
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(state_->lim.http_header_max, UINT32_MAX)));
  parser_->body_limit(state_->lim.http_body_max);
  beast::get_lowest_layer(stream_).expires_after(state_->lim.handshake_timeout);
  reading_ = true;
  http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&http_session::on_read, self()));
}

template <class Stream>
void http_session<Stream>::on_read(beast::error_code ec, std::size_t) {
  reading_ = false;
  if (ec == http::error::end_of_stream) {
    // The client closed between requests.
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_send, ec);
    return;
  }
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
    return reply_error(http::status::request_header_fields_too_large, "Request header fields too large\n", false);
  if (ec == http::error::body_limit) return reply_error(http::status::payload_too_large, "Payload too large\n", false);
  if (ec && ec != http::error::partial_message &&
      ec.category() == beast::error_code(http::error::bad_target).category())
    return reply_error(http::status::bad_request, "Bad request\n", false);
  if (ec) return fail(ec, "http read");

  const bool is_upgrade = beast::websocket::is_upgrade(parser_->get());
  // DNS rebinding: a page at attacker.example, rebound to this address, sends its own name.
  if (!host_allowed(parser_->get(), state_->allowed_hosts))
    return is_upgrade ? reply_error(http::status::forbidden, "Host not allowed\n", false)
                      : reply_error(http::status::misdirected_request,
                                    "Misdirected request: this server does not answer to that host name; "
                                    "start it with --public-url or --allow-origin naming it\n",
                                    false);
  if (is_upgrade) return upgrade();
  answer();
}

template <class Stream>
void http_session<Stream>::upgrade() {
  const auto& req = parser_->get();
  const bool keep_alive = req.keep_alive();
  if (target_path(req.target()) != "/ws") return reply_error(http::status::not_found, "Not found\n", keep_alive);
  if (!origin_allowed(req, state_->allowed_origins, state_->tls ? "https" : "http"))
    return reply_error(http::status::forbidden, "Origin not allowed\n", keep_alive);
  if (stopping_ || state_->stopping.load())
    return reply_error(http::status::service_unavailable, "Restarting\n", false);
  // The WebSocket session takes the socket and the connection slot; this object ends.
  release_slot();
  beast::get_lowest_layer(stream_).expires_never();
  if constexpr (is_tls(static_cast<const Stream*>(nullptr)))
    std::make_shared<websocket_session<tls_stream>>(std::move(stream_), state_, address_)->run(parser_->release());
  else
    std::make_shared<websocket_session<ws_transport>>(stream_.release_socket(), state_, address_)
        ->run(parser_->release());
}

template <class Stream>
void http_session<Stream>::answer() {
  const auto& req = parser_->get();
  http_reply reply;
  try {
    reply = state_->app.on_http(req, address_);
  } catch (const std::exception& e) {
    report(severity::error, "handler_failed", std::string("on_http: ") + e.what());
    reply = http_reply{500, "text/plain; charset=utf-8", "Internal server error\n", {}};
  }
  if (reply.status < 100 || reply.status > 999) reply.status = 500;

  res_.emplace();
  auto& res = *res_;
  res.version(req.version());
  res.result(reply.status);
  res.set(http::field::server, "roundtable");
  if (!reply.content_type.empty() && header_safe(reply.content_type))
    res.set(http::field::content_type, reply.content_type);
  for (auto& [name, value] : reply.headers) {
    if (name.empty() || !header_safe(name) || !header_safe(value)) continue;
    const auto f = http::string_to_field(name);
    if (f == http::field::content_length || f == http::field::transfer_encoding || f == http::field::connection ||
        f == http::field::server)
      continue;
    res.insert(name, value);
  }
  if (res.find(http::field::cache_control) == res.end()) res.set(http::field::cache_control, "no-store");
  const bool keep_alive = req.keep_alive() && !stopping_;
  res.keep_alive(keep_alive);

  const auto status_class = http::to_status_class(reply.status);
  const bool no_body = status_class == http::status_class::informational || reply.status == 204 || reply.status == 304;
  if (no_body) {
    res.content_length(boost::none);
  } else if (req.method() == http::verb::head) {
    // HEAD: the GET's headers, no body.
    res.content_length(reply.body.size());
  } else {
    res.body() = std::move(reply.body);
    res.prepare_payload();
  }
  parser_.reset();
  do_write(keep_alive ? then::read_next : then::close);
}

template <class Stream>
void http_session<Stream>::reply_error(http::status status, std::string_view text, bool keep_alive) {
  const unsigned version = parser_ ? parser_->get().version() : 11;
  parser_.reset();
  res_.emplace(status, version == 10 ? 10 : 11);
  auto& res = *res_;
  res.set(http::field::server, "roundtable");
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(keep_alive && !stopping_);
  res.body() = std::string(text);
  res.prepare_payload();
  do_write(res.keep_alive() ? then::read_next : then::linger);
}

template <class Stream>
void http_session<Stream>::do_write(then next) {
  beast::get_lowest_layer(stream_).expires_after(state_->lim.handshake_timeout);
  http::async_write(stream_, *res_, beast::bind_front_handler(&http_session::on_write, self(), next));
}

template <class Stream>
void http_session<Stream>::on_write(then next, beast::error_code ec, std::size_t) {
  res_.reset();
  if (ec) return fail(ec, "http write");
  if (next == then::read_next && !stopping_) return do_read();
  if (next == then::linger) return do_linger();
  beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_send, ec);
}

template <class Stream>
void http_session<Stream>::do_linger() {
  // We answered without reading the whole request: say we are done, then drain what the
  // client still sends (bounded in bytes and time) until it closes its side.
  beast::error_code ec;
  beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) return;
  buffer_.consume(buffer_.size());
  beast::get_lowest_layer(stream_).expires_after(state_->lim.handshake_timeout);
  reading_ = true;  // shutdown() may cut it short
  stream_.async_read_some(buffer_.prepare(4096), beast::bind_front_handler(&http_session::on_linger, self()));
}

template <class Stream>
void http_session<Stream>::on_linger(beast::error_code ec, std::size_t n) {
  lingered_ += n;
  if (ec || lingered_ > linger_max_bytes || stopping_) {
    reading_ = false;
    return;  // the socket closes with this object
  }
  stream_.async_read_some(buffer_.prepare(4096), beast::bind_front_handler(&http_session::on_linger, self()));
}

template class http_session<plain_stream>;
template class http_session<tls_stream>;

}  // namespace roundtable::net::detail
