// The two transports a session can run on: plain TCP, or TLS over TCP (https, wss).
#pragma once

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace roundtable::net {

/// Loads a PEM certificate chain and private key into a server context that speaks TLS 1.2 and
/// later only; throws std::runtime_error naming the file that fails.
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const std::string& cert_file, const std::string& key_file);

namespace detail {
using plain_stream = boost::beast::tcp_stream;
using tls_stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;
}  // namespace detail

}  // namespace roundtable::net
