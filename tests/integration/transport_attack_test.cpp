// Attacks on the transport of a real `facilitator serve`: forged Host headers (DNS rebinding),
// slot exhaustion, floods and unread queues (issue 12).
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "harness.hpp"

using namespace roundtable::test;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

// GET target with this Host header (and the test key as bearer): the status.
int get_with_host(unsigned short port, const std::string& target, const std::string& host) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.expires_after(5s);
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, host);
  req.set(http::field::authorization, "Bearer " + test_key);
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  return static_cast<int>(res.result_int());
}

// A WebSocket handshake with this Host header: the HTTP status of the answer (101 when upgraded).
int upgrade_with_host(unsigned short port, const std::string& host) {
  asio::io_context ioc;
  websocket::stream<tcp::socket> ws(ioc);
  ws.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  websocket::response_type res;
  beast::error_code ec;
  ws.handshake(res, host, "/ws", ec);
  return static_cast<int>(res.result_int());
}

}  // namespace

TEST(TransportAttack, AForgedHostIsMisdirectedOverHttpAndRefusedAnUpgrade) {
  served_session s({.extra = {"--public-url", "https://vote.example.org"}});
  const auto port = s.server->port();
  const std::string export_target = "/api/sessions/" + s.code + "/export.json";
  // A page at attacker.example whose name was rebound to this server's address.
  for (const std::string& host :
       std::vector<std::string>{"attacker.example", "attacker.example:" + std::to_string(port)}) {
    EXPECT_EQ(get_with_host(port, "/healthz", host), 421) << host;
    EXPECT_EQ(get_with_host(port, export_target, host), 421) << host;
    EXPECT_EQ(upgrade_with_host(port, host), 403) << host;
  }
  // The names the server answers to: its address, localhost, the public URL's host.
  for (const std::string& host : std::vector<std::string>{
           "127.0.0.1:" + std::to_string(port), "localhost:" + std::to_string(port), "vote.example.org", "127.0.0.1"}) {
    EXPECT_EQ(get_with_host(port, "/healthz", host), 200) << host;
    EXPECT_EQ(get_with_host(port, export_target, host), 200) << host;
    EXPECT_EQ(upgrade_with_host(port, host), 101) << host;
  }
}

TEST(TransportAttack, OneAddressCannotTakeEverySlot) {
  // Loopback peers are capped only with --cap-loopback (by default they are this machine's own).
  served_session s({.extra = {"--cap-loopback"}});
  const auto port = s.server->port();
  // 1,000 idle connections from 127.0.0.1 (the default cap; the console is one of them).
  asio::io_context ioc;
  std::vector<std::unique_ptr<tcp::socket>> hogs;
  for (int i = 0; i < 999; ++i) {
    hogs.push_back(std::make_unique<tcp::socket>(ioc));
    hogs.back()->connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }
  // The 1,001st from that address is closed at accept; another address still gets in.
  EXPECT_THROW(ws_client::connect(port), std::exception);
  auto other = ws_client::connect_from(port, "127.0.0.2");
  EXPECT_EQ(other->request({{"type", "join"}, {"code", s.code}, {"token", token(2)}})["type"], "joined");
  // A slot given back is a slot free again.
  hogs.pop_back();
  std::shared_ptr<ws_client> again;
  for (int tries = 0; tries < 100 && !again; ++tries) {
    try {
      again = ws_client::connect(port);
    } catch (const std::exception&) {
      std::this_thread::sleep_for(20ms);
    }
  }
  ASSERT_TRUE(again);
  EXPECT_EQ(again->request({{"type", "join"}, {"code", s.code}, {"token", token(3)}})["type"], "joined");
}

TEST(TransportAttack, AWebsocketWithoutARoleIsClosedAfterTheHandshakeTimeout) {
  served_session s({.extra = {"--handshake-timeout", "1"}});
  auto idle = ws_client::connect(s.server->port());     // never joins
  auto refused = ws_client::connect(s.server->port());  // tries a wrong code: still no role
  EXPECT_EQ(refused->request({{"type", "watch"}, {"code", wrong_code(s.code, 1)}})["code"], "unknown_code");
  auto joined = s.join(1);
  auto watching = ws_client::connect(s.server->port());
  EXPECT_EQ(watching->request({{"type", "watch"}, {"code", s.code}})["type"], "joined");
  EXPECT_TRUE(idle->wait_closed(3s));
  EXPECT_EQ(idle->close_code(), 1008);
  EXPECT_TRUE(refused->wait_closed(1s));
  // Those with a role (and the console) stay, well past the timeout.
  std::this_thread::sleep_for(1500ms);
  for (const auto& c : {joined, watching, s.console}) {
    EXPECT_FALSE(c->closed());
    EXPECT_EQ(c->request({{"type", "ping"}})["type"], "error");  // answered: still open
  }
}

TEST(TransportAttack, BinaryFramesAreChargedLikeTextOnes) {
  served_session s;
  auto p = s.join(1);
  const auto from = p->count();
  for (int i = 0; i < 200; ++i) p->send_raw(R"({"type":"vote"})", true);
  for (int wait = 0; wait < 500 && p->count() < from + 200; ++wait) std::this_thread::sleep_for(20ms);
  ASSERT_GE(p->count(), from + 200);
  int bad = 0, limited = 0;
  for (const auto& m : p->received()) {
    bad += m.value("code", "") == "bad_message";
    limited += m.value("code", "") == "rate_limited";
  }
  // The burst of 30 (and what refills meanwhile) is answered bad_message, the rest rate_limited.
  EXPECT_LE(bad, 60);
  EXPECT_GE(limited, 140);
  EXPECT_FALSE(p->closed());
}

TEST(TransportAttack, AConnectionThatFloodsForSixSecondsIsClosedAndACalmOneIsNeverRefused) {
  served_session s;
  s.command({{"type", "open"}, {"question", "gut"}});
  auto flooder = s.join(1);
  auto calm = s.join(2);
  std::atomic<bool> stop{false};
  std::thread flood([&] {
    // About 2,000 frames a second, text and binary, for up to 8 s.
    for (int i = 0; !stop.load() && i < 800; ++i) {
      for (int k = 0; k < 10; ++k)
        flooder->send_raw(R"({"type":"vote","question":"gut","ballot":{"choice":"refer"}})", k % 2 == 1);
      std::this_thread::sleep_for(10ms);
    }
  });
  const auto start = std::chrono::steady_clock::now();
  int calm_votes = 0;
  while (!flooder->closed() && std::chrono::steady_clock::now() - start < 8s) {
    const auto r = calm->request(
        {{"type", "vote"}, {"question", "gut"}, {"ballot", {{"choice", calm_votes % 2 ? "refer" : "decline"}}}});
    EXPECT_EQ(r["type"], "ack") << r.dump();
    ++calm_votes;
    std::this_thread::sleep_for(200ms);
  }
  stop = true;
  flood.join();
  const auto lasted = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(flooder->wait_closed(2s)) << "the flooder is still open";
  EXPECT_EQ(flooder->close_code(), 1008);
  EXPECT_GE(lasted, 4500ms);  // several seconds over the rate, not one burst
  EXPECT_LT(lasted, 7s);
  EXPECT_GE(calm_votes, 20);
  EXPECT_FALSE(calm->closed());
}
