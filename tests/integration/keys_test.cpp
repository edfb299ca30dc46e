// Several facilitators with their own keys (issue 10), against a real server and its SQLite file: `facilitator
// keys` on the real binary, each key scoped to its own sessions and cases (another's answered exactly as a missing
// one), the admin key seeing everything, a revoked key refused at its next request, a co-host key that drives one
// session until it ends, and wrong keys of every kind counted against the same limit.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>

#include "facilitator_program.hpp"
#include "served_session.hpp"
#include "store/sqlite.hpp"

using namespace roundtable::test;

namespace {

std::string db_of(const served_server& s) {
  return s.dir.path() + "/rt.db";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// `facilitator keys --db DB add NAME` on the real binary: the key it prints (standard output only).
std::string add_key(const std::string& db, const std::string& name) {
  const auto r = facilitator("keys --db " + db + " add " + name, false);
  EXPECT_EQ(r.status, 0) << r.output;
  auto key = r.output;
  while (!key.empty() && key.back() == '\n') key.pop_back();
  return key;
}

/// A console connected and hosting with key; its hosting reply in *hosting when given.
std::shared_ptr<ws_client> console_with(unsigned short port, const std::string& key, json* hosting = nullptr) {
  auto c = ws_client::connect(port);
  const auto reply = c->request({{"type", "host"}, {"key", key}});
  EXPECT_EQ(reply["type"], "hosting") << reply.dump();
  if (hosting) *hosting = reply;
  return c;
}

/// The codes of a hosting reply's sessions.
std::vector<std::string> codes(const json& hosting) {
  std::vector<std::string> out;
  for (const auto& s : hosting["sessions"]) out.push_back(s["code"]);
  return out;
}

/// The ids of a hosting reply's cases.
std::vector<std::string> case_ids(const json& hosting) {
  std::vector<std::string> out;
  for (const auto& s : hosting["scenarios"]) out.push_back(s["id"]);
  return out;
}

bool has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

/// A reply with its request id and every occurrence of `code` taken out, to compare two refusals.
json without(json reply, const std::string& code) {
  reply.erase("id");
  if (reply.contains("message"))
    reply["message"] = std::regex_replace(reply["message"].get<std::string>(), std::regex(code), "CODE");
  return reply;
}

/// The demo case of the fixtures under another id.
json own_case(const std::string& id) {
  std::ifstream in(test_scenarios + "/demo.json");
  json c = json::parse(in);
  c["id"] = id;
  return c;
}

/// A code no session has in this server (one of the hosting list's is not it).
std::string unused_code(const std::vector<std::string>& used) {
  for (int i = 100000;; i += 7919)
    if (!has(used, std::to_string(i))) return std::to_string(i);
}

/// A server with two facilitators, Alice and Bob, each with a key from the real `keys add` and a console,
/// and Alice with a session and a saved case.
struct two_facilitators : served_server {
  std::string alice_key, bob_key;
  std::shared_ptr<ws_client> alice, bob;
  std::string alice_code;

  explicit two_facilitators(const serve_options& o = {}) : served_server(o) {
    alice_key = add_key(db_of(*this), "alice");
    bob_key = add_key(db_of(*this), "bob");
    alice = console_with(server->port(), alice_key);
    bob = console_with(server->port(), bob_key);
    const auto started = alice->request({{"type", "start"}, {"scenario", "demo"}});
    EXPECT_EQ(started["type"], "started") << started.dump();
    alice_code = started.value("code", "");
    EXPECT_EQ(alice->request({{"type", "scenario_save"}, {"scenario", own_case("alices-case")}})["type"], "ack");
  }
};

}  // namespace

TEST(KeysCommand, AddListAndRevokeOnTheRealBinaryKeepOnlyHashes) {
  temp_dir dir;
  const auto db = dir.path() + "/rt.db";
  const auto key = add_key(db, "alice");
  EXPECT_EQ(key.size(), 32u) << key;
  EXPECT_EQ(facilitator("keys --db " + db + " add alice").status, 1) << "a name has one working key";
  EXPECT_EQ(facilitator("keys --db " + db + " add admin").status, 2);
  EXPECT_EQ(facilitator("keys --db " + db + " add 'Bad Name'").status, 2);
  EXPECT_EQ(facilitator("keys --db " + db + " remove alice").status, 2);
  EXPECT_EQ(facilitator("keys add alice").status, 2) << "--db is required";

  auto listed = facilitator("keys --db " + db + " list");
  EXPECT_EQ(listed.status, 0);
  EXPECT_NE(listed.output.find("alice\tcreated "), std::string::npos) << listed.output;
  EXPECT_NE(listed.output.find("active"), std::string::npos) << listed.output;
  EXPECT_EQ(listed.output.find(key), std::string::npos) << "list shows no key";

  EXPECT_EQ(facilitator("keys --db " + db + " revoke alice").status, 0);
  EXPECT_EQ(facilitator("keys --db " + db + " revoke alice").status, 1) << "nothing left to revoke";
  EXPECT_EQ(facilitator("keys --db " + db + " revoke nobody").status, 1);
  listed = facilitator("keys --db " + db + " list");
  EXPECT_NE(listed.output.find("revoked "), std::string::npos) << listed.output;
  const auto again = add_key(db, "alice");
  EXPECT_NE(again, key) << "a revoked name gets a new key";

  const auto file = read_file(db) + read_file(db + "-wal");
  EXPECT_EQ(file.find(key), std::string::npos) << "a key is in the database file";
  EXPECT_EQ(file.find(again), std::string::npos) << "a key is in the database file";
  // list and revoke only read an existing file: a mistyped --db leaves nothing behind.
  EXPECT_EQ(facilitator("keys --db " + dir.path() + "/typo.db list").status, 1);
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/typo.db"));
}

TEST(KeyScope, AnotherFacilitatorsSessionIsAnsweredAsAMissingOne) {
  two_facilitators s;
  json bob_hosting;
  auto bob = console_with(s.server->port(), s.bob_key, &bob_hosting);
  EXPECT_EQ(bob_hosting["role"], "facilitator");
  EXPECT_EQ(bob_hosting["name"], "bob");
  EXPECT_FALSE(has(codes(bob_hosting), s.alice_code));
  const auto missing = unused_code({s.alice_code});
  const json commands[] = {{{"type", "attach"}},
                           {{"type", "goto"}, {"stage", 1}},
                           {{"type", "open"}, {"question", "gut"}},
                           {{"type", "end"}},
                           {{"type", "purge"}},
                           {{"type", "cohost_key"}}};
  for (auto msg : commands) {
    msg["code"] = s.alice_code;
    const auto hers = bob->request(msg);
    msg["code"] = missing;
    const auto none = bob->request(msg);
    EXPECT_EQ(hers["code"], "unknown_code") << msg.dump() << " -> " << hers.dump();
    EXPECT_EQ(without(hers, s.alice_code), without(none, missing)) << msg.dump();
  }
  // Nothing Bob sent reached her session: still at its first stage, running.
  const auto attached = s.alice->request({{"type", "attach"}, {"code", s.alice_code}});
  EXPECT_EQ(attached["session"]["stage"]["index"], 0) << attached.dump();
  EXPECT_FALSE(attached["session"].value("ended", false));
}

TEST(KeyScope, AnotherFacilitatorsExportsAndReportAreNotFound) {
  two_facilitators s;
  const auto port = s.server->port();
  const auto missing = unused_code({s.alice_code});
  for (const std::string file : {"export.json", "export.csv", "summary.csv", "report.html"}) {
    const auto hers = http_get(port, "/api/sessions/" + s.alice_code + "/" + file, s.bob_key);
    const auto none = http_get(port, "/api/sessions/" + missing + "/" + file, s.bob_key);
    EXPECT_EQ(hers.status, 404) << file;
    EXPECT_EQ(hers.body, none.body) << file;
    EXPECT_EQ(http_get(port, "/api/sessions/" + s.alice_code + "/" + file, s.alice_key).status, 200) << file;
    EXPECT_EQ(http_get(port, "/api/sessions/" + s.alice_code + "/" + file, test_key).status, 200) << file;
  }
  EXPECT_EQ(http_get(port, "/metrics", s.alice_key).status, 403) << "only the admin key reads /metrics";
}

TEST(KeyScope, AnotherFacilitatorsCaseCannotBeReadStartedSavedOverOrDeleted) {
  two_facilitators s;
  json hosting;
  auto bob = console_with(s.server->port(), s.bob_key, &hosting);
  EXPECT_FALSE(has(case_ids(hosting), "alices-case"));
  EXPECT_TRUE(has(case_ids(hosting), "demo")) << "folder cases are everyone's";
  const std::pair<json, json> pairs[] = {
      {{{"type", "scenario_get"}, {"scenario", "alices-case"}}, {{"type", "scenario_get"}, {"scenario", "no-case"}}},
      {{{"type", "scenario_delete"}, {"scenario", "alices-case"}},
       {{"type", "scenario_delete"}, {"scenario", "no-case"}}},
      {{{"type", "start"}, {"scenario", "alices-case"}}, {{"type", "start"}, {"scenario", "no-case"}}},
  };
  for (const auto& [hers, none] : pairs) {
    const auto a = bob->request(hers), b = bob->request(none);
    EXPECT_EQ(a["type"], "error") << a.dump();
    EXPECT_EQ(a["code"], b["code"]) << a.dump();
    EXPECT_EQ(std::regex_replace(a.value("message", ""), std::regex("alices-case"), "X"),
              std::regex_replace(b.value("message", ""), std::regex("no-case"), "X"));
  }
  auto changed = own_case("alices-case");
  changed["title"] = "Bob was here";
  EXPECT_EQ(bob->request({{"type", "scenario_save"}, {"scenario", changed}})["type"], "error");
  const auto got = s.alice->request({{"type", "scenario_get"}, {"scenario", "alices-case"}});
  EXPECT_EQ(got["scenario"]["title"], own_case("x")["title"]) << "her case is as she saved it";
  EXPECT_EQ(got["version"], 1);
  // Bob's own case is his: saved, listed, started, and not Alice's to see.
  EXPECT_EQ(bob->request({{"type", "scenario_save"}, {"scenario", own_case("bobs-case")}})["type"], "ack");
  EXPECT_EQ(bob->request({{"type", "start"}, {"scenario", "bobs-case"}})["type"], "started");
  EXPECT_EQ(s.alice->request({{"type", "scenario_get"}, {"scenario", "bobs-case"}})["code"], "unknown_scenario");
}

TEST(KeyScope, TheAdminKeySeesAndDrivesEveryonesSessionsAndCases) {
  two_facilitators s;
  const auto bobs = s.bob->request({{"type", "start"}, {"scenario", "demo"}});
  json hosting;
  auto admin = console_with(s.server->port(), test_key, &hosting);
  EXPECT_EQ(hosting["role"], "admin");
  EXPECT_TRUE(has(codes(hosting), s.alice_code));
  EXPECT_TRUE(has(codes(hosting), bobs["code"]));
  EXPECT_TRUE(has(case_ids(hosting), "alices-case"));
  EXPECT_EQ(admin->request({{"type", "attach"}, {"code", s.alice_code}})["type"], "joined");
  EXPECT_EQ(admin->request({{"type", "end"}, {"code", s.alice_code}})["type"], "ack");
  EXPECT_EQ(admin->request({{"type", "purge"}, {"code", s.alice_code}})["type"], "ack");
  EXPECT_EQ(admin->request({{"type", "scenario_delete"}, {"scenario", "alices-case"}})["type"], "ack");
  // Alice's own view follows: her session and case are gone.
  json after;
  console_with(s.server->port(), s.alice_key, &after);
  EXPECT_TRUE(codes(after).empty()) << after.dump();
  EXPECT_FALSE(has(case_ids(after), "alices-case"));
}

TEST(KeyScope, SessionsKeepTheirOwnerAcrossARestart) {
  two_facilitators s;
  auto o = s.server->opts();
  s.alice.reset();
  s.bob.reset();
  ASSERT_EQ(s.server->terminate(), 0);
  s.server = std::make_unique<server_process>(o);
  json alice, bob;
  console_with(s.server->port(), s.alice_key, &alice);
  console_with(s.server->port(), s.bob_key, &bob);
  EXPECT_TRUE(has(codes(alice), s.alice_code));
  EXPECT_FALSE(has(codes(bob), s.alice_code));
}

TEST(AdminKey, ItsPathIsV1sWithARoleAddedAndItsSessionsAreStoredAsBefore) {
  two_facilitators s;
  json hosting;
  auto admin = console_with(s.server->port(), test_key, &hosting);
  hosting.erase("id");
  std::vector<std::string> fields;
  for (const auto& [k, v] : hosting.items()) fields.push_back(k);
  EXPECT_EQ(fields, (std::vector<std::string>{"role", "scenarios", "sessions", "type"})) << hosting.dump();
  const auto started = admin->request({{"type", "start"}, {"scenario", "demo"}});
  ASSERT_EQ(started["type"], "started");
  // The started events: the admin's without an owner (as every log before keys), Alice's with hers.
  auto db = roundtable::store::sqlite::db::open_read_only(db_of(s), 5000);
  roundtable::store::sqlite::statement q(db, "SELECT session, payload FROM events WHERE seq = 1");
  std::map<std::string, json> first;
  while (q.step()) first[q.column_text(0)] = json::parse(q.column_text(1));
  ASSERT_EQ(first.size(), 2u);
  EXPECT_FALSE(first[started["code"].get<std::string>()].contains("owner"));
  EXPECT_EQ(first[s.alice_code]["owner"], "alice");
}

TEST(KeyRevocation, ARevokedKeyIsRefusedAtTheNextRequestOfAnOpenConnection) {
  two_facilitators s;
  ASSERT_EQ(s.alice->request({{"type", "attach"}, {"code", s.alice_code}})["type"], "joined");
  const auto r = facilitator("keys --db " + db_of(s) + " revoke alice");
  ASSERT_EQ(r.status, 0) << r.output;
  const auto refused = s.alice->request({{"type", "goto"}, {"code", s.alice_code}, {"stage", 1}});
  EXPECT_EQ(refused["code"], "unauthorized") << refused.dump();
  EXPECT_TRUE(s.alice->wait_closed(5s)) << "the connection of a revoked key is closed";
  EXPECT_EQ(s.alice->close_code(), 1008);
  auto again = ws_client::connect(s.server->port());
  EXPECT_EQ(again->request({{"type", "host"}, {"key", s.alice_key}})["code"], "unauthorized");
  EXPECT_EQ(http_get(s.server->port(), "/api/sessions/" + s.alice_code + "/export.json", s.alice_key).status, 401);
  // Bob's key and the session are untouched; a new key for alice owns her session again.
  EXPECT_EQ(s.bob->request({{"type", "start"}, {"scenario", "demo"}})["type"], "started");
  json hosting;
  console_with(s.server->port(), add_key(db_of(s), "alice"), &hosting);
  EXPECT_TRUE(has(codes(hosting), s.alice_code));
}

TEST(CohostKey, DrivesItsOneSessionAndNothingElse) {
  two_facilitators s;
  const auto other = s.alice->request({{"type", "start"}, {"scenario", "demo"}})["code"].get<std::string>();
  const auto minted = s.alice->request({{"type", "cohost_key"}, {"code", s.alice_code}});
  ASSERT_EQ(minted["type"], "ack") << minted.dump();
  const auto key = minted["key"].get<std::string>();
  EXPECT_EQ(key.size(), 32u);
  json hosting;
  auto cohost = console_with(s.server->port(), key, &hosting);
  EXPECT_EQ(hosting["role"], "cohost");
  EXPECT_EQ(codes(hosting), std::vector<std::string>{s.alice_code});
  EXPECT_TRUE(hosting["scenarios"].empty());
  EXPECT_EQ(cohost->request({{"type", "attach"}, {"code", s.alice_code}})["type"], "joined");
  EXPECT_EQ(cohost->request({{"type", "goto"}, {"code", s.alice_code}, {"stage", 1}})["type"], "ack");
  EXPECT_EQ(cohost->request({{"type", "attach"}, {"code", other}})["code"], "unknown_code");
  for (const json& msg :
       {json{{"type", "start"}, {"scenario", "demo"}}, json{{"type", "scenario_get"}, {"scenario", "demo"}},
        json{{"type", "scenario_save"}, {"scenario", own_case("c")}},
        json{{"type", "cohost_key"}, {"code", s.alice_code}}, json{{"type", "purge"}, {"code", other}}})
    EXPECT_EQ(cohost->request(msg)["code"], "unauthorized") << msg.dump();
  const auto port = s.server->port();
  EXPECT_EQ(http_get(port, "/api/sessions/" + s.alice_code + "/export.json", key).status, 200);
  EXPECT_EQ(http_get(port, "/api/sessions/" + other + "/export.json", key).status, 404);
  // Bob cannot mint one for her session; the admin can.
  EXPECT_EQ(s.bob->request({{"type", "cohost_key"}, {"code", s.alice_code}})["code"], "unknown_code");
  EXPECT_EQ(console_with(port, test_key)->request({{"type", "cohost_key"}, {"code", other}})["type"], "ack");
}

TEST(CohostKey, ANewKeyReplacesTheOldOneAndTheSessionsEndEndsIt) {
  two_facilitators s;
  const auto first = s.alice->request({{"type", "cohost_key"}, {"code", s.alice_code}})["key"].get<std::string>();
  auto early = console_with(s.server->port(), first);
  const auto second = s.alice->request({{"type", "cohost_key"}, {"code", s.alice_code}})["key"].get<std::string>();
  EXPECT_EQ(early->request({{"type", "attach"}, {"code", s.alice_code}})["code"], "unauthorized");
  EXPECT_TRUE(early->wait_closed(5s));
  auto cohost = console_with(s.server->port(), second);
  EXPECT_EQ(cohost->request({{"type", "end"}, {"code", s.alice_code}})["type"], "ack");
  EXPECT_EQ(cohost->request({{"type", "attach"}, {"code", s.alice_code}})["code"], "unauthorized");
  EXPECT_TRUE(cohost->wait_closed(5s));
  auto late = ws_client::connect(s.server->port());
  EXPECT_EQ(late->request({{"type", "host"}, {"key", second}})["code"], "unauthorized");
  EXPECT_EQ(http_get(s.server->port(), "/api/sessions/" + s.alice_code + "/export.json", second).status, 401);
  EXPECT_EQ(s.alice->request({{"type", "cohost_key"}, {"code", s.alice_code}})["code"], "bad_message")
      << "an ended session gets no co-host";
  // Its owner still reads it.
  EXPECT_EQ(http_get(s.server->port(), "/api/sessions/" + s.alice_code + "/export.json", s.alice_key).status, 200);
}

TEST(KeyLimits, WrongKeysOfEveryKindCountAgainstTheSameLimit) {
  two_facilitators s;
  const auto port = s.server->port();
  // The default: 5 wrong keys a minute per address, WebSocket and HTTP together.
  for (int i = 0; i < 3; ++i) {
    auto c = ws_client::connect(port);
    EXPECT_EQ(c->request({{"type", "host"}, {"key", s.alice_key + "x"}})["code"], "unauthorized");
  }
  EXPECT_EQ(http_get(port, "/api/sessions/" + s.alice_code + "/export.json", s.bob_key + "x").status, 401);
  EXPECT_EQ(http_get(port, "/api/sessions/" + s.alice_code + "/export.json", "revoked-or-never-made-key-000").status,
            401);
  // Now the right keys of every kind are refused from this address too: the limit tells nothing.
  auto c = ws_client::connect(port);
  EXPECT_EQ(c->request({{"type", "host"}, {"key", s.alice_key}})["code"], "rate_limited");
  EXPECT_EQ(c->request({{"type", "host"}, {"key", test_key}})["code"], "rate_limited");
  EXPECT_EQ(http_get(port, "/api/sessions/" + s.alice_code + "/export.json", s.alice_key).status, 429);
  // Consoles that hosted before keep working: the limit is on guessing, not on the keys.
  EXPECT_EQ(s.alice->request({{"type", "attach"}, {"code", s.alice_code}})["type"], "joined");
}
