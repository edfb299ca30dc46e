// Recovery (issue 12 item 9): a store that breaks under a running session, and a stored log that does
// not replay at start. The server answers `internal`, counts it, reloads the room and never dies; a
// session it cannot replay is quarantined and every other one is served.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <set>
#include <string>
#include <thread>

#include "harness.hpp"

using namespace roundtable::test;

namespace {

// Runs SQL on the database file as another program would (waiting up to 5 s for the server's locks).
void sql(const std::string& db, const std::string& statements) {
  sqlite3* handle = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &handle), SQLITE_OK);
  sqlite3_busy_timeout(handle, 5000);
  char* message = nullptr;
  const int rc = sqlite3_exec(handle, statements.c_str(), nullptr, nullptr, &message);
  const std::string why = message ? message : "";
  sqlite3_free(message);
  sqlite3_close(handle);
  ASSERT_EQ(rc, SQLITE_OK) << statements << ": " << why;
}

// Appends a raw payload to a session's stored log, after its last event.
void append_raw(const std::string& db, const std::string& code, const std::string& payload) {
  sql(db, "INSERT INTO events(session, seq, payload) SELECT '" + code + "', MAX(seq) + 1, '" + payload +
              "' FROM events WHERE session = '" + code + "'");
}

json vote(ws_client& p, const std::string& choice) {
  return p.request({{"type", "vote"}, {"question", "gut"}, {"ballot", {{"choice", choice}}}});
}

// The server is still there: /livez answers (false, not an exception, when nothing listens). Not /healthz:
// that one is 503 "not ready" while the store refuses writes.
bool alive(unsigned short port) {
  try {
    return http_get(port, "/livez").status == 200;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

// The store breaks under a running session: its events table vanishes (renamed by another program), so
// the write fails and the room's reload from the store throws. Before the fix that exception left the
// room's strand and took the whole server down.
TEST(Recovery, AReloadThatThrowsOnABrokenDatabaseIsAnsweredInternalAndTheRoomRecovers) {
  served_session s({.min_group = 1});  // so the export shows each ballot
  const std::string db = s.dir.path() + "/rt.db";
  s.command({{"type", "open"}, {"question", "gut"}});
  auto p0 = s.join(0);
  auto p1 = s.join(1);
  ASSERT_EQ(vote(*p0, "refer")["type"], "ack");
  sql(db, "ALTER TABLE events RENAME TO events_away");
  const auto refused = vote(*p1, "decline");
  EXPECT_EQ(refused.value("code", ""), "internal") << refused.dump();
  std::this_thread::sleep_for(300ms);  // the room's reload runs once the failed write is reported
  ASSERT_TRUE(alive(s.server->port())) << "the server died:\n" << s.server->output();
  // Whatever arrives while the store is broken is refused, never acked, and the server stays up.
  for (int i = 0; i < 3; ++i) {
    const auto r = vote(*p1, "conditions");
    EXPECT_EQ(r.value("code", ""), "internal") << r.dump();
  }
  EXPECT_GE(metric(s.server->port(), "roundtable_internal_errors_total"), 1);
  EXPECT_NE(s.server->output().find("reload failed: "), std::string::npos) << s.server->output();
  // The table comes back: the room reloads itself and acks again within a few seconds.
  sql(db, "ALTER TABLE events_away RENAME TO events");
  json again;
  for (int i = 0; i < 50; ++i) {
    again = vote(*p1, "decline");
    if (again["type"] == "ack") break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(again["type"], "ack") << again.dump();
  // What the room holds is the durable log: p0's ballot, p1's acked one, none of the refused ones.
  s.command({{"type", "close"}, {"question", "gut"}});
  const auto e = s.export_json();
  json votes;
  for (const auto& q : e["questions"])
    if (q["id"] == "gut") votes = q["rounds"][0]["votes"];
  ASSERT_EQ(votes.size(), 2u) << e.dump();
  std::multiset<std::string> choices;
  for (const auto& v : votes) choices.insert(v["ballot"]["choice"].get<std::string>());
  EXPECT_EQ(choices, (std::multiset<std::string>{"decline", "refer"}));
}

// A stored log that does not replay (an illegal transition, a payload that is not JSON) is quarantined at
// start: the server starts, serves every other session, refuses the bad ones and names them on stderr.
// Before the fix one bad session stopped the server from starting at all.
TEST(Recovery, ASessionWhoseLogDoesNotReplayIsQuarantinedAndEveryOtherIsServed) {
  temp_dir dir;
  const std::string db = dir.path() + "/rt.db";
  std::string good, illegal, garbled;
  {
    server_process first({db, test_scenarios, test_key, 3, {}});
    auto console = ws_client::connect(first.port());
    console->request({{"type", "host"}, {"key", test_key}});
    for (auto* code : {&good, &illegal, &garbled})
      *code = console->request({{"type", "start"}, {"scenario", "demo"}})["code"];
    ASSERT_EQ(console->request({{"type", "open"}, {"code", good}, {"question", "gut"}})["type"], "ack");
    auto p = ws_client::connect(first.port());
    ASSERT_EQ(p->request({{"type", "join"}, {"code", good}, {"token", token(0)}})["type"], "joined");
    ASSERT_EQ(vote(*p, "refer")["type"], "ack");
    EXPECT_EQ(first.terminate(), 0);
  }
  append_raw(db, illegal, R"({"type":"stage_shown","index":99})");
  append_raw(db, garbled, R"({"type":"joined","voter":)");
  server_process again({db, test_scenarios, test_key, 3, {}});
  ASSERT_TRUE(alive(again.port()));
  // The good session is served as before.
  auto p = ws_client::connect(again.port());
  const auto joined = p->request({{"type", "join"}, {"code", good}, {"token", token(0)}});
  ASSERT_EQ(joined["type"], "joined") << joined.dump();
  EXPECT_EQ(joined["session"]["mine"]["gut"], (json{{"choice", "refer"}}));
  EXPECT_EQ(vote(*p, "decline")["type"], "ack");
  // The quarantined ones are not: a participant's join and the console's attach are refused.
  auto console = ws_client::connect(again.port());
  console->request({{"type", "host"}, {"key", test_key}});
  for (const auto& code : {illegal, garbled}) {
    auto q = ws_client::connect(again.port());
    EXPECT_EQ(q->request({{"type", "join"}, {"code", code}, {"token", token(1)}})["code"], "unknown_code");
    EXPECT_EQ(console->request({{"type", "attach"}, {"code", code}})["code"], "unknown_code");
  }
  // Named on stderr with the reason, and counted.
  const auto log = again.output();
  EXPECT_NE(log.find("session " + illegal + " is quarantined"), std::string::npos) << log;
  EXPECT_NE(log.find("no stage 99"), std::string::npos) << log;
  EXPECT_NE(log.find("session " + garbled + " is quarantined"), std::string::npos) << log;
  EXPECT_EQ(metric(again.port(), "roundtable_sessions_quarantined"), 2);
  EXPECT_EQ(metric(again.port(), "roundtable_sessions"), 1);
  // A new session never takes a quarantined code.
  EXPECT_EQ(console->request({{"type", "start"}, {"scenario", "demo"}})["type"], "started");
}
