// Attacks on who may do what (issue 12): lock-outs by others' failures, the client address behind a
// proxy, short keys, the QR page as a join-code oracle, /metrics, an ended session's key, repeated joins.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <thread>

#include <sqlite3.h>

#include "harness.hpp"

using namespace roundtable::test;

namespace {

/// `facilitator serve` with these flags (and this environment prefix), given 5 s to refuse them:
/// its exit status (124 when it was still serving) and everything it wrote.
std::pair<int, std::string> serve_briefly(const std::string& env, const std::string& flags) {
  temp_dir dir;
  const std::string cmd = env + " timeout 5 " + ROUNDTABLE_BINARY_DIR + "/bin/facilitator serve --port 0 --db " +
                          dir.path() + "/rt.db --scenarios " + test_scenarios + " " + flags + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[512];
  while (p && fgets(buf, sizeof buf, p)) out += buf;
  const int status = p ? pclose(p) : -1;
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

/// The hmac_key column of a session's row, read from the database file.
std::string stored_hmac_key(const std::string& db, const std::string& code) {
  sqlite3* h = nullptr;
  std::string key = "(no row)";
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(h, "SELECT hmac_key FROM sessions WHERE code = ?1", -1, &st, nullptr);
    sqlite3_bind_text(st, 1, code.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW)
      key.assign(static_cast<const char*>(sqlite3_column_blob(st, 0))
                     ? static_cast<const char*>(sqlite3_column_blob(st, 0))
                     : "",
                 static_cast<std::size_t>(sqlite3_column_bytes(st, 0)));
    sqlite3_finalize(st);
  }
  sqlite3_close(h);
  return key;
}

json host_from(unsigned short port, const std::string& local, const header_list& headers, const std::string& key) {
  return ws_client::connect_with(port, local, headers)->request({{"type", "host"}, {"key", key}});
}

}  // namespace

// Item 1: anyone (any web page the facilitator visits) could fire five keyless requests and lock the key out.
TEST(Auth, RequestsWithoutAKeyDoNotCountAsWrongKeys) {
  served_session s;
  const auto target = "/api/sessions/" + s.code + "/export.csv";
  for (int i = 0; i < 5; ++i) EXPECT_EQ(http_get(s.server->port(), target).status, 401) << i;
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(http_get_with(s.server->port(), target, "", {{"Authorization", "Basic Zm9vOmJhcg=="}}).status, 401);
  EXPECT_EQ(http_get(s.server->port(), target, test_key).status, 200);
  auto console = ws_client::connect(s.server->port());
  EXPECT_EQ(console->request({{"type", "host"}, {"key", test_key}})["type"], "hosting");
  // Keys that were sent and wrong still count.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(http_get(s.server->port(), target, "guess-" + std::to_string(i)).status, 401);
  EXPECT_EQ(http_get(s.server->port(), target, test_key).status, 429);
}

// Item 2: without --trusted-proxy, X-Forwarded-For is the client's word and changes nothing.
TEST(Auth, AForgedForwardedForFromAnUntrustedPeerChangesNothing) {
  served_server s({.extra = {"--trusted-proxy", "127.0.0.2"}});
  const auto port = s.server->port();
  for (int i = 0; i < 5; ++i) {
    const header_list forged = {{"X-Forwarded-For", "198.51.100." + std::to_string(i)}};
    EXPECT_EQ(host_from(port, "127.0.0.1", forged, "guess-" + std::to_string(i))["code"], "unauthorized");
  }
  EXPECT_EQ(host_from(port, "127.0.0.1", {{"X-Forwarded-For", "198.51.100.99"}}, test_key)["code"], "rate_limited");
  EXPECT_EQ(http_get_with(port, "/metrics", "127.0.0.1",
                          {{"X-Forwarded-For", "198.51.100.98"}, {"Authorization", "Bearer " + test_key}})
                .status,
            429);
}

// Item 2: behind a trusted proxy, each forwarded client has its own limits, over HTTP and WebSocket.
TEST(Auth, BehindATrustedProxyEachForwardedClientHasItsOwnLimits) {
  served_server s({.extra = {"--trusted-proxy", "127.0.0.2", "--trusted-proxy", "10.0.0.1"}});
  const auto port = s.server->port();
  // 203.0.113.7 guesses five keys; what it puts before its own entry is its own word and ignored.
  for (int i = 0; i < 5; ++i) {
    const header_list via = {{"X-Forwarded-For", "192.0.2." + std::to_string(i) + ", 203.0.113.7"}};
    EXPECT_EQ(host_from(port, "127.0.0.2", via, "guess-" + std::to_string(i))["code"], "unauthorized");
  }
  EXPECT_EQ(host_from(port, "127.0.0.2", {{"X-Forwarded-For", "203.0.113.7"}}, test_key)["code"], "rate_limited");
  // Through two trusted proxies (the rightmost entry is the inner proxy itself), still the same client.
  EXPECT_EQ(http_get_with(port, "/metrics", "127.0.0.2",
                          {{"X-Forwarded-For", "203.0.113.7, 10.0.0.1"}, {"Authorization", "Bearer " + test_key}})
                .status,
            429);
  // Another client through the same proxy is not limited by the first one's failures.
  EXPECT_EQ(host_from(port, "127.0.0.2", {{"X-Forwarded-For", "198.51.100.9"}}, test_key)["type"], "hosting");
  EXPECT_EQ(http_get_with(port, "/metrics", "127.0.0.2",
                          {{"X-Forwarded-For", "198.51.100.9"}, {"Authorization", "Bearer " + test_key}})
                .status,
            200);
  // Nor is the proxy's own address, nor a direct client.
  EXPECT_EQ(host_from(port, "127.0.0.2", {}, test_key)["type"], "hosting");
  EXPECT_EQ(host_from(port, "127.0.0.1", {}, test_key)["type"], "hosting");
}

// The flags this work added, given wrong: a usage error (exit 2) naming the flag, and no server.
TEST(Auth, TheNewServeFlagsGivenWrongAreRefusedClearly) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--trusted-proxy nope", "--trusted-proxy nope is not an IP address"},
      {"--metrics-public=maybe", "Could not convert: --metrics-public = maybe"},
      {"--cap-loopback=lots", "Could not convert: --cap-loopback = lots"},
      {"--joins-per-connection 0", "--joins-per-connection must be a whole number from 1"},
      {"--max-connections-per-address lots", "--max-connections-per-address must be a whole number"},
      {"--max-queued-bytes 10", "--max-queued-bytes must be a whole number from 65536"},
      {"--max-saved-scenarios -1", "--max-saved-scenarios must be a whole number from 0"},
      {"--confidential-retention soon", "--confidential-retention must be a whole number from 0"},
      {"--nats 127.0.0.1:4222", "--nats takes nats://HOST:PORT[,nats://HOST:PORT...], not '127.0.0.1:4222'"},
      {"--nats nats://127.0.0.1:4222,localhost:4222", "not 'localhost:4222'"},
      {"--nats nats://127.0.0.1", "not 'nats://127.0.0.1'"},
      {"--nats-replicas 3", "--nats-replicas goes with --nats"},
      {"--nats nats://127.0.0.1:4222 --nats-replicas 9", "--nats-replicas must be a whole number from 1"}};
  for (const auto& [flag, message] : cases) {
    const auto [status, out] = serve_briefly("", "--key " + test_key + " " + flag);
    EXPECT_EQ(status, 2) << flag << "\n" << out;
    EXPECT_NE(out.find(message), std::string::npos) << flag << "\n" << out;
    EXPECT_EQ(out.find("listening on"), std::string::npos) << flag << "\n" << out;
  }
  // Every server of a cluster needs the same key: none given is refused, not a random one per server.
  const auto [status, out] = serve_briefly("env -u ROUNDTABLE_KEY", "--nats nats://127.0.0.1:4222");
  EXPECT_EQ(status, 2) << out;
  EXPECT_NE(out.find("--nats needs the facilitator key every server of the cluster shares"), std::string::npos) << out;
}

// Item 3: a short key makes the limit on wrong keys meaningless; refused at start with advice.
TEST(Auth, KeysShorterThan22CharactersAreRefusedAtStart) {
  temp_dir dir;
  const auto file = dir.path() + "/key";
  FILE* f = fopen(file.c_str(), "w");
  fputs("short-file-key\n", f);
  fclose(f);
  for (const auto& [env, flags] : std::vector<std::pair<std::string, std::string>>{{"", "--key k123"},
                                                                                   {"", "--key 0123456789abcdefghij1"},
                                                                                   {"ROUNDTABLE_KEY=short-env-key", ""},
                                                                                   {"", "--key-file " + file}}) {
    const auto [status, out] = serve_briefly(env, flags);
    EXPECT_EQ(status, 1) << env << flags << "\n" << out;
    EXPECT_NE(out.find("at least 22 characters"), std::string::npos) << out;
    EXPECT_NE(out.find("openssl rand"), std::string::npos) << out;
    EXPECT_EQ(out.find("listening on"), std::string::npos) << out;
  }
  // 22 characters are enough.
  const auto [status, out] = serve_briefly("", "--key 0123456789abcdefghij12");
  EXPECT_EQ(status, 124) << out;
  EXPECT_NE(out.find("listening on"), std::string::npos) << out;
}

// Item 4: /qr/CODE.svg answered 200 for a live code and 404 otherwise, without limit: an oracle.
TEST(Auth, QrProbesOfUnknownCodesCountAsWrongCodes) {
  served_session s;
  for (int i = 0; i < 61; ++i) {
    const auto r = http_get(s.server->port(), "/qr/" + wrong_code(s.code, i) + ".svg");
    EXPECT_EQ(r.status, i < 60 ? 404 : 429) << i;
  }
  EXPECT_EQ(http_get(s.server->port(), "/qr/" + s.code + ".svg").status, 429);
  auto late = ws_client::connect(s.server->port());
  EXPECT_EQ(late->request({{"type", "join"}, {"code", s.code}, {"token", token(1)}})["code"], "rate_limited");
  // Another address is not limited by it.
  EXPECT_EQ(http_get_with(s.server->port(), "/qr/" + s.code + ".svg", "127.0.0.2", {}).status, 200);
}

// Item 5: /metrics counters move on one ballot; they are the facilitator's unless --metrics-public.
TEST(Auth, MetricsNeedTheKeyAndWrongKeysCount) {
  served_session s;
  const auto port = s.server->port();
  EXPECT_EQ(http_get(port, "/metrics").status, 401);
  EXPECT_EQ(http_get(port, "/metrics", test_key).status, 200);
  EXPECT_NE(http_get(port, "/metrics", test_key).body.find("roundtable_ballots_total"), std::string::npos);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(http_get(port, "/metrics", "guess-" + std::to_string(i)).status, 401) << i;
  EXPECT_EQ(http_get(port, "/metrics", test_key).status, 429);
  auto console = ws_client::connect(port);
  EXPECT_EQ(console->request({{"type", "host"}, {"key", test_key}})["code"], "rate_limited");
}

TEST(Auth, MetricsPublicServesMetricsWithoutAKey) {
  served_server s({.extra = {"--metrics-public"}});
  const auto r = http_get(s.server->port(), "/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("roundtable_ballots_total"), std::string::npos);
}

// Item 6: once a session ends, neither the file nor the running server links a token to its ballots.
TEST(Auth, AnEndedSessionNoLongerKnowsAReturningVoter) {
  served_session s;
  s.command({{"type", "open"}, {"question", "gut"}});
  auto p = s.join(1);
  EXPECT_EQ(p->request({{"type", "vote"}, {"question", "gut"}, {"ballot", {{"choice", "decline"}}}})["type"], "ack");
  json joined;
  s.join(1, &joined)->close();
  EXPECT_TRUE(joined["session"]["mine"].contains("gut")) << joined.dump();
  s.command({{"type", "end"}});
  // The same token again, on a new connection: a stranger now.
  s.join(1, &joined);
  EXPECT_EQ(joined["session"]["ended"], true);
  EXPECT_TRUE(joined["session"]["mine"].empty()) << joined["session"]["mine"].dump();
  // The connection that voted may still ask again (it is the voter it was).
  EXPECT_EQ(p->request({{"type", "join"}, {"code", s.code}, {"token", token(1)}})["type"], "joined");
  s.server->terminate();
  EXPECT_EQ(stored_hmac_key(s.dir.path() + "/rt.db", s.code), "");
  // After a restart, the ended session loaded without a key is no different.
  server_process again_server(s.server->opts());
  auto q = ws_client::connect(again_server.port());
  const auto rejoined = q->request({{"type", "join"}, {"code", s.code}, {"token", token(1)}});
  EXPECT_EQ(rejoined["type"], "joined") << rejoined.dump();
  EXPECT_TRUE(rejoined["session"]["mine"].empty()) << rejoined.dump();
}

// Item 7: every join sends a whole SessionView; one connection may not ask for it without end.
TEST(Auth, RepeatedJoinsOnOneConnectionAreThrottled) {
  served_session s;
  auto p = ws_client::connect(s.server->port());
  for (int i = 0; i < 10; ++i) {
    const auto r = p->request({{"type", "join"}, {"code", s.code}, {"token", token(1)}});
    EXPECT_EQ(r["type"], "joined") << i << " " << r.dump();
  }
  EXPECT_EQ(p->request({{"type", "join"}, {"code", s.code}, {"token", token(1)}})["code"], "rate_limited");
  // Others, from the same address, join at once.
  EXPECT_TRUE(s.join(2));
}

TEST(Auth, TheJoinsPerConnectionFlagSetsTheThrottle) {
  served_session s({.extra = {"--joins-per-connection", "3", "--failure-window", "2"}});
  auto p = ws_client::connect(s.server->port());
  for (int i = 0; i < 3; ++i) EXPECT_EQ(p->request({{"type", "watch"}, {"code", s.code}})["type"], "joined") << i;
  EXPECT_EQ(p->request({{"type", "watch"}, {"code", s.code}})["code"], "rate_limited");
  std::this_thread::sleep_for(std::chrono::milliseconds(2200));
  EXPECT_EQ(p->request({{"type", "watch"}, {"code", s.code}})["type"], "joined");
}
