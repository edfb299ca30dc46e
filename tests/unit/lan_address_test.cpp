// Which address goes into the join link of `serve --lan`: the rule, on made-up interface lists.
#include "lan_address.hpp"

#include <gtest/gtest.h>

using namespace roundtable::facilitator;

TEST(LanAddress, APrivateAddressOnARealInterfaceWins) {
  EXPECT_EQ(pick_lan_address({{"lo", "127.0.0.1", true, true},
                              {"docker0", "172.17.0.1", true, false},
                              {"eth0", "203.0.113.5", true, false},
                              {"wlan0", "192.168.1.23", true, false}}),
            "192.168.1.23");
  EXPECT_EQ(pick_lan_address({{"eth0", "10.1.2.3", true, false}}), "10.1.2.3");
  EXPECT_EQ(pick_lan_address({{"eth0", "172.31.255.1", true, false}, {"eth1", "172.32.0.1", true, false}}),
            "172.31.255.1");  // 172.16/12 ends at 172.31
}

TEST(LanAddress, APublicAddressBeatsABridge) {
  EXPECT_EQ(pick_lan_address({{"docker0", "172.17.0.1", true, false}, {"eth0", "198.51.100.7", true, false}}),
            "198.51.100.7");
  // A bridge is still better than nothing.
  EXPECT_EQ(pick_lan_address({{"lo", "127.0.0.1", true, true}, {"virbr0", "192.168.122.1", true, false}}),
            "192.168.122.1");
}

TEST(LanAddress, LoopbackDownAndLinkLocalAreNeverChosen) {
  EXPECT_EQ(pick_lan_address({}), std::nullopt);
  EXPECT_EQ(pick_lan_address({{"lo", "127.0.0.1", true, true},
                              {"eth0", "192.168.1.5", false, false},
                              {"eth1", "169.254.3.4", true, false},
                              {"weird", "127.0.1.1", true, false}}),
            std::nullopt);
}

TEST(LanAddress, WildcardHostsBindEveryInterface) {
  EXPECT_TRUE(binds_every_interface("0.0.0.0"));
  EXPECT_TRUE(binds_every_interface("::"));
  EXPECT_TRUE(binds_every_interface(""));
  EXPECT_FALSE(binds_every_interface("127.0.0.1"));
  EXPECT_FALSE(binds_every_interface("192.168.1.5"));
}

TEST(LanAddress, ThisMachinesListHasItsLoopback) {
  const auto all = local_addresses();
  EXPECT_TRUE(std::any_of(all.begin(), all.end(), [](const interface_address& a) { return a.loopback; }));
}
