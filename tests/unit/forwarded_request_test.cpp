// A participant's request as one server forwards it to the session's writer (cluster/forwarded_request.hpp):
// what is encoded comes back the same, and nothing but a participant's request, as encoded, is read back.
#include <gtest/gtest.h>

#include "cluster/forwarded_request.hpp"

using namespace roundtable;
using namespace roundtable::facilitator;
using cluster::decode;
using cluster::encode;
using cluster::forwarded_request;

TEST(ForwardedRequest, EveryKindComesBackAsItWasSent) {
  const std::vector<participant_request> requests{
      protocol::vote{"gut", {{"choice", "refer"}}},
      protocol::perspective{"why", "Because the client asked.\n\"Quoted\" ü"},
      protocol::endorse{"p-123"},
      protocol::withdraw{"gut"},
  };
  for (const auto& r : requests)
    for (const auto& id : {std::optional<std::string>{}, std::optional<std::string>{"req-7"}}) {
      const auto back = decode(encode({std::string(64, 'f'), r, id}));
      ASSERT_TRUE(back);
      EXPECT_EQ(back->voter, std::string(64, 'f'));
      EXPECT_EQ(back->id, id);
      ASSERT_EQ(back->request.index(), r.index());
      EXPECT_EQ(encode(*back), encode({std::string(64, 'f'), r, id}));
    }
}

TEST(ForwardedRequest, AnythingElseIsNotReadBack) {
  const std::string vote = R"({\"type\":\"vote\",\"question\":\"gut\",\"ballot\":{\"choice\":\"refer\"}})";
  for (const auto& body : {
           std::string(""),
           std::string("not json"),
           std::string("[]"),
           std::string(R"({"frame":")" + vote + R"("})"),
           std::string(R"({"voter":7,"frame":")" + vote + R"("})"),
           std::string(R"({"voter":"","frame":")" + vote + R"("})"),
           std::string(R"({"voter":")" + std::string(129, 'a') + R"(","frame":")" + vote + R"("})"),
           std::string(R"({"voter":"v"})"),
           std::string(R"({"voter":"v","frame":{"type":"vote"}})"),
           std::string(R"({"voter":"v","frame":"{\"type\":\"vote\"}"})"),
           std::string(R"({"voter":"v","frame":"{\"type\":\"join\",\"code\":\"123456\",\"token\":\"t\"}"})"),
           std::string(R"({"voter":"v","frame":"{\"type\":\"end\",\"code\":\"123456\"}"})"),
           std::string(R"({"voter":"v","frame":"{\"type\":\"host\",\"key\":\"k\"}"})"),
       })
    EXPECT_FALSE(decode(body)) << body;
}

TEST(ForwardedRequest, AFrameTooLargeForAParticipantIsNotReadBack) {
  const auto big = encode({"v", protocol::perspective{"why", std::string(1 << 20, 'x')}, std::nullopt});
  EXPECT_FALSE(decode(big));
}
