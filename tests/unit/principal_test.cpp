// The scoping rules of several facilitators (principal.hpp): which sessions a key drives and whose
// saved cases it sees.
#include "principal.hpp"

#include "scenario_library.hpp"

#include <gtest/gtest.h>

namespace roundtable::facilitator {
namespace {

principal facilitator(const std::string& name) {
  return {principal::kind::facilitator, name, 7, {}, {}};
}

principal cohost(const std::string& code) {
  return {principal::kind::cohost, {}, 0, code, "hash"};
}

room_summary session_of(const std::string& code, const std::string& owner) {
  room_summary s;
  s.code = code;
  s.owner = owner;
  return s;
}

TEST(Principal, TheAdminDrivesEverySession) {
  EXPECT_TRUE(may_drive(principal::admin(), session_of("111111", "")));
  EXPECT_TRUE(may_drive(principal::admin(), session_of("222222", "alice")));
}

TEST(Principal, AFacilitatorDrivesOnlyItsOwnSessions) {
  EXPECT_TRUE(may_drive(facilitator("alice"), session_of("111111", "alice")));
  EXPECT_FALSE(may_drive(facilitator("alice"), session_of("222222", "bob")));
  EXPECT_FALSE(may_drive(facilitator("alice"), session_of("333333", ""))) << "the admin's session";
}

TEST(Principal, ACohostDrivesItsOneSession) {
  EXPECT_TRUE(may_drive(cohost("111111"), session_of("111111", "alice")));
  EXPECT_FALSE(may_drive(cohost("111111"), session_of("222222", "alice")));
}

TEST(Principal, SessionsAndCasesRecordTheirOwner) {
  EXPECT_EQ(session_owner(principal::admin()), "");
  EXPECT_EQ(session_owner(facilitator("alice")), "alice");
  EXPECT_EQ(case_owner(principal::admin()), admin_owner);
  EXPECT_EQ(case_owner(facilitator("alice")), "alice");
}

TEST(Principal, CaseScopes) {
  EXPECT_FALSE(case_scope(principal::admin())) << "the admin sees every owner's cases";
  EXPECT_EQ(case_scope(facilitator("alice")), "alice");
  const auto c = case_scope(cohost("111111"));
  ASSERT_TRUE(c);
  EXPECT_EQ(*c, "") << "no saved case has an empty owner";
}

}  // namespace
}  // namespace roundtable::facilitator
