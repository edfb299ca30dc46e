// Issue 12's integrity and anonymity holes in the core, attacked against a real `facilitator serve`.
#include <sqlite3.h>

#include <gtest/gtest.h>

#include <string>

#include "harness.hpp"

using namespace roundtable::test;

namespace {

// Rows in the events table of the server's database (read while the server runs: WAL readers see
// every committed write).
long long event_rows(const std::string& db) {
  sqlite3* handle = nullptr;
  if (sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) return -1;
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(handle, "SELECT count(*) FROM events", -1, &stmt, nullptr);
  const long long n = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : -1;
  sqlite3_finalize(stmt);
  sqlite3_close(handle);
  return n;
}

}  // namespace

// Item 4: the same ballot re-sent 500 times with fresh request ids is stored once.
TEST(Integrity, TheSameBallotResentWithFreshIdsIsStoredOnce) {
  served s({"--rate-messages", "100000"});
  auto p = s.join(0);
  s.command({{"type", "open"}, {"question", "gut"}});
  const json vote{{"type", "vote"}, {"question", "gut"}, {"ballot", {{"choice", "refer"}}}};
  ASSERT_EQ(p->request(vote)["type"], "ack");
  const auto before = event_rows(s.dir.path() + "/rt.db");
  ASSERT_GT(before, 0);
  for (int i = 0; i < 500; ++i) {
    auto again = vote;
    again["id"] = "fresh-" + std::to_string(i);
    p->send(again);
  }
  // Every resend is acked (the last ack comes after every write before it is durable).
  ASSERT_TRUE(p->wait_for([](const json& m) { return m.value("id", "") == "fresh-499"; }, 10s));
  int acks = 0;
  for (const auto& m : p->received())
    if (m.value("type", "") == "ack" && m.value("id", "").starts_with("fresh-")) ++acks;
  EXPECT_EQ(acks, 500);
  // The first copy made one row; the 500 resends none.
  EXPECT_EQ(event_rows(s.dir.path() + "/rt.db"), before);
  // A changed ballot is still stored, and is what the participant has.
  ASSERT_EQ(p->request({{"type", "vote"}, {"question", "gut"}, {"ballot", {{"choice", "decline"}}}})["type"], "ack");
  EXPECT_EQ(event_rows(s.dir.path() + "/rt.db"), before + 1);
  const auto rejoined = s.join(0)->request({{"type", "join"}, {"code", s.code}, {"token", token(0)}});
  EXPECT_EQ(rejoined["session"]["mine"]["gut"], (json{{"choice", "decline"}}));
}
