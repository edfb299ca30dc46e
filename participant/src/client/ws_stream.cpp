#include "client/ws_stream.hpp"

#include <stdexcept>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

namespace roundtable::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
namespace websocket = beast::websocket;

std::shared_ptr<ssl::context> make_client_tls_context(const std::optional<std::string>& ca_file) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  ctx->set_verify_mode(ssl::verify_peer);
  boost::system::error_code ec;
  if (ca_file)
    ctx->load_verify_file(*ca_file, ec);
  else
    ctx->set_default_verify_paths(ec);
  if (ec)
    throw std::runtime_error(ca_file ? "cannot use the CA file " + *ca_file + ": " + ec.message()
                                     : "cannot load the system's CA certificates: " + ec.message());
  return ctx;
}

std::variant<ws_stream::plain, ws_stream::secure> ws_stream::make(asio::any_io_executor ex,
                                                                  const std::optional<tls_settings>& tls) {
  if (!tls) return std::variant<plain, secure>(std::in_place_type<plain>, std::move(ex));
  return std::variant<plain, secure>(std::in_place_type<secure>, std::move(ex), *tls->context);
}

ws_stream::ws_stream(asio::any_io_executor ex, const std::optional<tls_settings>& tls)
    : ws_(make(std::move(ex), tls)), server_name_(tls ? tls->server_name : std::string()) {
  auto* ws = std::get_if<secure>(&ws_);
  if (!ws) return;
  SSL* native = ws->next_layer().native_handle();
  beast::error_code ec;
  const auto ip = asio::ip::make_address(server_name_, ec);
  // A name is sent as SNI (a proxy serving several names picks the certificate by it) and checked; an
  // address is not sent (RFC 6066 allows names only), the certificate must carry that IP. Fails closed.
  const bool set = ec ? SSL_set_tlsext_host_name(native, server_name_.c_str()) == 1 &&
                            SSL_set1_host(native, server_name_.c_str()) == 1
                      : X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(native), ip.to_string().c_str()) == 1;
  if (!set) throw std::runtime_error("cannot check the server's certificate against the name " + server_name_);
}

beast::tcp_stream& ws_stream::tcp() {
  return std::visit([](auto& ws) -> beast::tcp_stream& { return beast::get_lowest_layer(ws); }, ws_);
}

asio::any_io_executor ws_stream::get_executor() {
  return std::visit([](auto& ws) { return asio::any_io_executor(ws.get_executor()); }, ws_);
}

void ws_stream::set_client_options(std::size_t read_message_max) {
  std::visit(
      [&](auto& ws) {
        websocket::permessage_deflate deflate;
        deflate.client_enable = false;
        ws.set_option(deflate);
        ws.read_message_max(read_message_max);
        ws.set_option(websocket::stream_base::decorator(
            [](websocket::request_type& req) { req.set(beast::http::field::user_agent, "roundtable-participant"); }));
      },
      ws_);
}

void ws_stream::set_open_timeouts(std::chrono::milliseconds handshake_timeout) {
  auto timeout = websocket::stream_base::timeout::suggested(beast::role_type::client);
  timeout.handshake_timeout = handshake_timeout;
  std::visit([&](auto& ws) { ws.set_option(timeout); }, ws_);
}

void ws_stream::async_handshake(const std::string& host, const std::string& path, handler h) {
  if (auto* ws = std::get_if<plain>(&ws_)) return ws->async_handshake(host, path, std::move(h));
  auto& ws = std::get<secure>(ws_);
  ws.next_layer().async_handshake(ssl::stream_base::client,
                                  [&ws, host, path, h = std::move(h)](beast::error_code ec) mutable {
                                    if (ec) return h(ec);
                                    ws.async_handshake(host, path, std::move(h));
                                  });
}

void ws_stream::async_read(beast::flat_buffer& buffer, io_handler h) {
  std::visit([&](auto& ws) { ws.async_read(buffer, std::move(h)); }, ws_);
}

void ws_stream::async_write(asio::const_buffer data, io_handler h) {
  std::visit([&](auto& ws) { ws.async_write(data, std::move(h)); }, ws_);
}

void ws_stream::async_close(handler h) {
  std::visit([&](auto& ws) { ws.async_close(websocket::close_code::normal, std::move(h)); }, ws_);
}

const websocket::close_reason& ws_stream::reason() const {
  return std::visit([](const auto& ws) -> const websocket::close_reason& { return ws.reason(); }, ws_);
}

std::optional<std::string> ws_stream::certificate_problem() const {
  const auto* ws = std::get_if<secure>(&ws_);
  if (!ws) return std::nullopt;
  // The verify result stays X509_V_OK unless the certificate was checked and refused.
  const long result = SSL_get_verify_result(const_cast<secure*>(ws)->next_layer().native_handle());
  if (result == X509_V_OK) return std::nullopt;
  const std::string text = X509_verify_cert_error_string(result);
  if (result == X509_V_ERR_HOSTNAME_MISMATCH || result == X509_V_ERR_IP_ADDRESS_MISMATCH)
    return "the server's certificate is not for " + server_name_ + " (" + text + ")";
  return "the server's certificate for " + server_name_ + " is not trusted (" + text +
         "); a private CA is trusted with --ca-file FILE";
}

}  // namespace roundtable::client
