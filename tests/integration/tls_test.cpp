// TLS: --tls-cert and --tls-key serve https and wss, with a self-signed certificate made here.
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "harness.hpp"
#include "tls_certificate.hpp"

using namespace roundtable::test;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

// A client context that trusts only that certificate and checks the peer's name.
ssl::context client_context(const std::string& dir) {
  ssl::context ctx(ssl::context::tls_client);
  ctx.load_verify_file(dir + "/cert.pem");
  ctx.set_verify_mode(ssl::verify_peer);
  return ctx;
}

}  // namespace

TEST(Tls, HttpsAndWssWithASelfSignedCertificate) {
  temp_dir certs;
  make_certificate(certs.path());
  temp_dir dir;
  server_process server({dir.path() + "/rt.db",
                         test_scenarios,
                         test_key,
                         3,
                         {"--tls-cert", certs.path() + "/cert.pem", "--tls-key", certs.path() + "/key.pem"}});
  const tcp::endpoint at(asio::ip::make_address("127.0.0.1"), server.port());
  asio::io_context ioc;
  auto ctx = client_context(certs.path());

  // https: /healthz over a verified TLS connection.
  {
    beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
    beast::get_lowest_layer(stream).expires_after(5s);
    beast::get_lowest_layer(stream).connect(at);
    stream.set_verify_callback(ssl::host_name_verification("127.0.0.1"));
    stream.handshake(ssl::stream_base::client);
    beast::http::request<beast::http::empty_body> req{beast::http::verb::get, "/healthz", 11};
    req.set(beast::http::field::host, "127.0.0.1");
    beast::http::write(stream, req);
    beast::flat_buffer buffer;
    beast::http::response<beast::http::string_body> res;
    beast::http::read(stream, buffer, res);
    EXPECT_EQ(res.result_int(), 200u);
    EXPECT_EQ(res.body(), R"({"status":"ok"})");
  }

  // wss: host, start and join over TLS, with a browser's https Origin.
  const auto open_wss = [&](bool with_origin) {
    auto ws = std::make_unique<beast::websocket::stream<beast::ssl_stream<beast::tcp_stream>>>(ioc, ctx);
    beast::get_lowest_layer(*ws).expires_after(5s);
    beast::get_lowest_layer(*ws).connect(at);
    ws->next_layer().handshake(ssl::stream_base::client);
    const std::string host = "127.0.0.1:" + std::to_string(server.port());
    ws->set_option(beast::websocket::stream_base::decorator([with_origin, host](beast::websocket::request_type& r) {
      if (with_origin) r.set(beast::http::field::origin, "https://" + host);
    }));
    ws->handshake(host, "/ws");
    return ws;
  };
  const auto ask = [](auto& ws, const json& msg) {
    ws.write(asio::buffer(msg.dump()));
    for (;;) {
      beast::flat_buffer b;
      ws.read(b);
      auto reply = json::parse(beast::buffers_to_string(b.data()));
      if (reply.contains("id") && reply["id"] == msg["id"]) return reply;
    }
  };
  auto console = open_wss(true);
  EXPECT_EQ(ask(*console, {{"type", "host"}, {"id", "1"}, {"key", test_key}})["type"], "hosting");
  const auto started = ask(*console, {{"type", "start"}, {"id", "2"}, {"scenario", "demo"}});
  ASSERT_EQ(started["type"], "started");
  EXPECT_EQ(started["session"]["join_url"].get<std::string>().rfind("https://", 0), 0u) << started.dump();
  auto participant = open_wss(false);
  EXPECT_EQ(ask(*participant, {{"type", "join"}, {"id", "3"}, {"code", started["code"]}, {"token", token(1)}})["type"],
            "joined");

  // The http Origin is another origin on a TLS server: refused with 403.
  {
    beast::websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(ioc, ctx);
    beast::get_lowest_layer(ws).expires_after(5s);
    beast::get_lowest_layer(ws).connect(at);
    ws.next_layer().handshake(ssl::stream_base::client);
    ws.set_option(beast::websocket::stream_base::decorator([&](beast::websocket::request_type& r) {
      r.set(beast::http::field::origin, "http://127.0.0.1:" + std::to_string(server.port()));
    }));
    beast::websocket::response_type res;
    beast::error_code ec;
    ws.handshake(res, "127.0.0.1:" + std::to_string(server.port()), "/ws", ec);
    EXPECT_TRUE(ec);
    EXPECT_EQ(res.result_int(), 403u);
  }

  // Plain http on the TLS port gets no answer in clear text, and the server carries on.
  {
    tcp::socket plain(ioc);
    plain.connect(at);
    asio::write(plain, asio::buffer(std::string("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")));
    std::string got(256, '\0');
    beast::error_code ec;
    const auto n = plain.read_some(asio::buffer(got), ec);
    EXPECT_EQ(std::string(got.data(), n).find("200 OK"), std::string::npos);
  }
  EXPECT_EQ(ask(*participant,
                {{"type", "vote"}, {"id", "4"}, {"question", "gut"}, {"ballot", {{"choice", "refer"}}}})["code"],
            "voting_closed");
}

TEST(Tls, AMissingOrMismatchedKeyStopsTheServerWithAClearMessage) {
  temp_dir certs;
  make_certificate(certs.path());
  temp_dir dir;
  EXPECT_THROW(server_process({dir.path() + "/rt.db",
                               test_scenarios,
                               test_key,
                               3,
                               {"--tls-cert", certs.path() + "/cert.pem", "--tls-key", certs.path() + "/none.pem"}}),
               std::runtime_error);
  EXPECT_THROW(
      server_process({dir.path() + "/rt.db", test_scenarios, test_key, 3, {"--tls-cert", certs.path() + "/cert.pem"}}),
      std::runtime_error);
}
