// `facilitator serve --lan` on this machine: the join link names the network address phones use,
// and the server answers on it.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include "lan_address.hpp"
#include "served_session.hpp"

using namespace roundtable::test;
namespace asio = boost::asio;

namespace {

// The status line of GET /healthz sent to address:port directly.
std::string status_line_from(const std::string& address, unsigned short port) {
  asio::io_context ioc;
  asio::ip::tcp::socket socket(ioc);
  socket.connect({asio::ip::make_address(address), port});
  const std::string request =
      "GET /healthz HTTP/1.1\r\nHost: " + address + ":" + std::to_string(port) + "\r\nConnection: close\r\n\r\n";
  asio::write(socket, asio::buffer(request));
  asio::streambuf reply;
  asio::read_until(socket, reply, "\r\n");
  std::string line;
  std::istream(&reply) >> std::ws;
  std::getline(std::istream(&reply), line);
  return line;
}

// The "participants: ..." line of the server's banner.
// The banner's participants line; it follows "listening on", so it is waited for (up to 5 s), not assumed there.
std::string participants_line(const served_server& s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    const auto out = s.server->output();
    const auto at = out.find("participants: ");
    const auto end = at == std::string::npos ? std::string::npos : out.find('\n', at);
    if (end != std::string::npos) return out.substr(at, end - at);
    if (std::chrono::steady_clock::now() > deadline) return "";
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

TEST(Lan, TheJoinLinkNamesTheNetworkAddressAndItAnswers) {
  served_server s({.extra = {"--lan"}});
  const auto line = participants_line(s);
  const auto port = std::to_string(s.server->port());
  const auto lan = roundtable::facilitator::pick_lan_address(roundtable::facilitator::local_addresses());
  if (lan) {  // this machine has a network interface: phones would use it
    EXPECT_EQ(line, "participants: http://" + *lan + ":" + port + "/ (phones on this network)");
    EXPECT_EQ(status_line_from(*lan, s.server->port()).rfind("HTTP/1.1 200", 0), 0u);
  } else {  // loopback only: said so, with what to do
    EXPECT_EQ(line, "participants: http://127.0.0.1:" + port +
                        "/ (no network address found: phones cannot reach this link; give --public-url)");
  }
  EXPECT_EQ(status_line_from("127.0.0.1", s.server->port()).rfind("HTTP/1.1 200", 0), 0u);  // every interface
}

TEST(Lan, ThePublicUrlStillWinsAndLoopbackSaysSo) {
  served_server pub({.extra = {"--lan", "--public-url", "https://vote.example.org/"}});
  EXPECT_EQ(participants_line(pub), "participants: https://vote.example.org/");
  served_server local;
  EXPECT_EQ(participants_line(local), "participants: http://127.0.0.1:" + std::to_string(local.server->port()) +
                                          "/ (this machine only: --lan lets phones on your network join)");
}
