// trusted_proxies: which X-Forwarded-For entry names the client, as pure logic over a request.
#include "trusted_proxies.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

using roundtable::facilitator::trusted_proxies;
using roundtable::net::http_request;

namespace {

http_request with_forwarded(std::vector<std::string> lines) {
  http_request req{boost::beast::http::verb::get, "/", 11};
  for (const auto& l : lines) req.insert("X-Forwarded-For", l);
  return req;
}

}  // namespace

TEST(TrustedProxies, WithoutTrustedProxiesTheHeaderIsIgnored) {
  trusted_proxies none({});
  EXPECT_EQ(none.client_of(with_forwarded({"203.0.113.7"}), "127.0.0.1"), "127.0.0.1");
}

TEST(TrustedProxies, AnUntrustedPeerIsItsOwnClient) {
  trusted_proxies p({"10.0.0.1"});
  EXPECT_EQ(p.client_of(with_forwarded({"203.0.113.7"}), "10.0.0.2"), "10.0.0.2");
}

TEST(TrustedProxies, TheRightmostEntryNoTrustedProxyVouchesFor) {
  trusted_proxies p({"10.0.0.1", "10.0.0.2"});
  EXPECT_EQ(p.client_of(with_forwarded({"1.2.3.4, 203.0.113.7"}), "10.0.0.1"), "203.0.113.7");
  EXPECT_EQ(p.client_of(with_forwarded({"1.2.3.4", "203.0.113.7, 10.0.0.2"}), "10.0.0.1"), "203.0.113.7");
  EXPECT_EQ(p.client_of(with_forwarded({"[2001:db8::1]:443"}), "10.0.0.1"), "2001:db8::1");
  EXPECT_EQ(p.client_of(with_forwarded({"203.0.113.7:5000"}), "10.0.0.1"), "203.0.113.7");
  EXPECT_EQ(p.client_of(with_forwarded({"::ffff:203.0.113.7"}), "10.0.0.1"), "203.0.113.7");
  // Every entry a proxy: the leftmost; no header: the peer.
  EXPECT_EQ(p.client_of(with_forwarded({"10.0.0.2, 10.0.0.1"}), "10.0.0.1"), "10.0.0.2");
  EXPECT_EQ(p.client_of(with_forwarded({}), "10.0.0.1"), "10.0.0.1");
  EXPECT_EQ(p.client_of(with_forwarded({" , "}), "10.0.0.1"), "10.0.0.1");
}

TEST(TrustedProxies, AFlagThatIsNotAnAddressIsRefused) {
  EXPECT_THROW(trusted_proxies({"proxy.example.org"}), std::invalid_argument);
  EXPECT_NO_THROW(trusted_proxies({"::1", "127.0.0.1"}));
}
