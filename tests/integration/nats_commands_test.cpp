// The offline commands on the event log of `serve --nats` (issue 13: "export and report work against either
// store"): `export`, `report` and `purge` take --nats instead of --db, read the session from the JetStream
// stream a real nats-server holds, and refuse a NATS without one instead of creating it. `keys --nats` keeps the
// facilitators' keys in the cluster's KV bucket, which every facilitator on it reads.
#include <gtest/gtest.h>

#include "facilitator_program.hpp"
#include "harness.hpp"
#include "nats_server.hpp"

using namespace roundtable::test;

namespace {

// A session served on NATS: two ballots on "gut", then the facilitator stopped (the stream keeps it).
class NatsCommands : public ::testing::Test {
protected:
  temp_dir nats_dir;
  nats_server nats{nats_dir.path()};
  std::string code;

  void SetUp() override {
    served_session s({.extra = {"--nats", nats.url()}, .min_group = 1});
    s.command({{"type", "open"}, {"question", "gut"}});
    auto p0 = s.join(0);
    auto p1 = s.join(1);
    for (auto* p : {p0.get(), p1.get()})
      ASSERT_EQ(p->request({{"type", "vote"}, {"question", "gut"}, {"ballot", {{"choice", "refer"}}}})["type"], "ack");
    s.command({{"type", "end"}});
    code = s.code;
  }

  ran on_nats(const std::string& command, const std::string& rest) {
    return facilitator(command + " --nats " + nats.url() + " " + rest);
  }
};

}  // namespace

TEST_F(NatsCommands, ExportAndReportReadTheSessionFromTheStream) {
  auto r = on_nats("export", "--code " + code);
  ASSERT_EQ(r.status, 0) << r.output;
  const auto e = json::parse(r.output);
  EXPECT_EQ(e["code"], code) << r.output;
  r = on_nats("export", "--code " + code + " --format csv");
  ASSERT_EQ(r.status, 0) << r.output;
  std::size_t refer_rows = 0;
  for (std::size_t at = r.output.find(",refer"); at != std::string::npos; at = r.output.find(",refer", at + 1))
    ++refer_rows;
  EXPECT_EQ(refer_rows, 2u) << "both acked ballots are in the export:\n" << r.output;
  r = on_nats("report", "--code " + code);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output.rfind("<!doctype html>", 0), 0u) << r.output.substr(0, 200);
}

TEST_F(NatsCommands, PurgeDeletesTheSessionFromTheStreamAndItsCodeStaysTaken) {
  auto r = on_nats("purge", "--code 999999");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("no session has the code 999999 on NATS " + nats.url()), std::string::npos) << r.output;
  r = on_nats("purge", "--code " + code);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output, "purged " + code + "\n");
  r = on_nats("export", "--code " + code);
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("no session has the code " + code), std::string::npos) << r.output;
}

TEST_F(NatsCommands, AWrongPlaceIsAClearErrorAndCreatesNothing) {
  // A NATS where no facilitator ever served: refused, twice (the first attempt made no stream).
  temp_dir other_dir;
  nats_server other{other_dir.path()};
  for (int i = 0; i < 2; ++i) {
    const auto r = facilitator("export --nats " + other.url() + " --code " + code);
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_NE(r.output.find("no JetStream stream ROUNDTABLE here"), std::string::npos) << r.output;
  }
  // Nothing listening there.
  auto r = facilitator("report --nats nats://127.0.0.1:" + std::to_string(free_port()) + " --code " + code);
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("cannot reach NATS"), std::string::npos) << r.output;
  // Usage errors: both places, neither, a URL that is not nats://.
  r = facilitator("export --db x.db --nats " + nats.url() + " --code " + code);
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("one of --db and --nats is required, not both"), std::string::npos) << r.output;
  r = facilitator("report --code " + code);
  EXPECT_EQ(r.status, 2) << r.output;
  r = facilitator("purge --nats http://127.0.0.1:4222 --code " + code);
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("--nats takes nats://HOST:PORT"), std::string::npos) << r.output;
  // The session itself is untouched by all that.
  EXPECT_EQ(on_nats("export", "--code " + code).status, 0);
}

// Issue 13: "per-facilitator keys live in JetStream KV buckets". A key made with `keys --nats` works on every
// facilitator of the cluster (each with its own --db file, which holds no key), and its revocation reaches
// an open console on each of them at its next request.
TEST(NatsKeys, AKeyMadeOnNatsWorksOnEveryFacilitatorAndItsRevocationToo) {
  temp_dir nats_dir, a_dir, b_dir;
  nats_server nats{nats_dir.path()};
  const auto on = [&](const temp_dir& d) {
    return std::make_unique<server_process>(
        server_process::options{d.path() + "/rt.db", test_scenarios, test_key, 1, {"--nats", nats.url()}});
  };
  auto a = on(a_dir);
  auto b = on(b_dir);
  auto added = facilitator("keys --nats " + nats.url() + " add alice", false);
  ASSERT_EQ(added.status, 0) << added.output;
  const auto key = added.output.substr(0, added.output.find('\n'));
  ASSERT_EQ(key.size(), 32u) << added.output;
  std::vector<std::shared_ptr<ws_client>> consoles;
  for (const auto* server : {a.get(), b.get()}) {
    auto c = ws_client::connect(server->port());
    const auto hosting = c->request({{"type", "host"}, {"key", key}});
    EXPECT_EQ(hosting["type"], "hosting") << hosting.dump();
    EXPECT_EQ(hosting["name"], "alice") << hosting.dump();
    consoles.push_back(std::move(c));
  }
  const auto listed = facilitator("keys --nats " + nats.url() + " list");
  EXPECT_NE(listed.output.find("alice\tcreated "), std::string::npos) << listed.output;
  EXPECT_EQ(listed.output.find(key), std::string::npos) << "list never shows a key";
  // Neither facilitator's own file knows the key: the cluster's bucket does.
  for (const auto* d : {&a_dir, &b_dir}) {
    const auto local = facilitator("keys --db " + d->path() + "/rt.db list");
    EXPECT_NE(local.output.find("no facilitator keys"), std::string::npos) << local.output;
  }
  ASSERT_EQ(facilitator("keys --nats " + nats.url() + " revoke alice").status, 0);
  for (auto& c : consoles) {
    const auto refused = c->request({{"type", "start"}, {"scenario", "demo"}});
    EXPECT_EQ(refused["code"], "unauthorized") << refused.dump();
  }
  auto again = ws_client::connect(b->port());
  EXPECT_EQ(again->request({{"type", "host"}, {"key", key}})["code"], "unauthorized");
  EXPECT_EQ(facilitator("keys --nats " + nats.url() + " revoke alice").status, 1) << "nothing left to revoke";
}

TEST(NatsKeys, ListAndRevokeOnANatsWithoutTheBucketCreateNothing) {
  temp_dir nats_dir;
  nats_server nats{nats_dir.path()};
  for (int i = 0; i < 2; ++i) {
    const auto r = facilitator("keys --nats " + nats.url() + " list");
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_NE(r.output.find("no JetStream KV bucket roundtable_keys here"), std::string::npos) << r.output;
  }
  EXPECT_EQ(facilitator("keys --nats " + nats.url() + " revoke alice").status, 1);
  EXPECT_EQ(facilitator("keys --db x.db --nats " + nats.url() + " list").status, 2);
}
