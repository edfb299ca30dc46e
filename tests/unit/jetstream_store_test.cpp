// The JetStream event log against a real nats-server (issue 13): what is acked is stored, in order,
// once; a write that does not continue the log, or that no server stored, fails and stores nothing.
#include "store/jetstream_store.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "facilitator_cluster.hpp"
#include "nats_server.hpp"
#include "ws_client.hpp"

namespace {

using roundtable::store::jetstream_options;
using roundtable::store::jetstream_store;
using roundtable::test::nats_server;
using roundtable::test::temp_dir;

// Every write's outcome, by a name the test gives it.
struct outcomes {
  std::mutex mutex;
  std::map<std::string, bool> done;

  roundtable::store::completion as(std::string name) {
    return [this, name](bool ok) {
      std::lock_guard lock(mutex);
      done[name] = ok;
    };
  }
  bool ok(const std::string& name) {
    std::lock_guard lock(mutex);
    const auto it = done.find(name);
    EXPECT_NE(it, done.end()) << name << " never completed";
    return it != done.end() && it->second;
  }
};

class JetStreamStore : public ::testing::Test {
protected:
  temp_dir dir;
  nats_server nats{dir.path()};

  std::unique_ptr<jetstream_store> open() {
    jetstream_options o;
    o.servers = {nats.url()};
    o.attempt_timeout_ms = 300;
    o.write_deadline_ms = 800;
    return jetstream_store::open(o);
  }

  // A session "123456" with n events e1..en, all stored.
  std::unique_ptr<jetstream_store> session_with(int n, outcomes& out) {
    auto store = open();
    store->create_session("123456", "k\x01\xff", 1000, out.as("create"));
    for (int i = 1; i <= n; ++i) store->append_at("123456", i, "{\"e\":" + std::to_string(i) + "}", out.as("e"));
    store->flush();
    EXPECT_TRUE(out.ok("create"));
    if (n > 0) {
      EXPECT_TRUE(out.ok("e"));
    }
    return store;
  }
};

TEST_F(JetStreamStore, AppendsAreReadBackInOrderAndAReopenedStoreContinuesTheLog) {
  outcomes out;
  {
    auto store = session_with(3, out);
    EXPECT_EQ(store->events("123456"), (std::vector<std::string>{"{\"e\":1}", "{\"e\":2}", "{\"e\":3}"}));
  }
  auto store = open();
  store->append_at("123456", 4, "{\"e\":4}", out.as("4"));
  store->flush();
  EXPECT_TRUE(out.ok("4"));
  const auto events = store->events("123456");
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[3], "{\"e\":4}");
  const auto rows = store->sessions();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].code, "123456");
  EXPECT_EQ(rows[0].hmac_key, "k\x01\xff");
  EXPECT_EQ(rows[0].created_ms, 1000);
  EXPECT_FALSE(rows[0].ended_ms);
}

TEST_F(JetStreamStore, AWriteThatDoesNotContinueTheLogFailsWithEveryWriteBehindIt) {
  outcomes out;
  auto store = session_with(2, out);
  store->append_at("123456", 4, "{\"gap\":4}", out.as("gap"));
  store->append_at("123456", 5, "{\"gap\":5}", out.as("behind"));
  store->append_at("123456", 2, "{\"again\":2}", out.as("taken"));
  store->flush();
  EXPECT_FALSE(out.ok("gap"));
  EXPECT_FALSE(out.ok("behind"));
  EXPECT_FALSE(out.ok("taken"));
  EXPECT_EQ(store->events("123456").size(), 2u);
  EXPECT_EQ(store->stats().writes_failed, 3u);
}

TEST_F(JetStreamStore, AnUnknownSessionTakesNoEvents) {
  outcomes out;
  auto store = open();
  store->append_at("999999", 1, "{}", out.as("orphan"));
  store->flush();
  EXPECT_FALSE(out.ok("orphan"));
  EXPECT_TRUE(store->events("999999").empty());
  EXPECT_FALSE(store->code_used("999999"));
}

TEST_F(JetStreamStore, ACodeIsCreatedOnceAcrossStores) {
  outcomes out;
  auto first = session_with(1, out);
  auto second = open();
  second->create_session("123456", "other", 2000, out.as("again"));
  second->flush();
  EXPECT_FALSE(out.ok("again"));
  EXPECT_TRUE(second->code_used("123456"));
  EXPECT_EQ(second->sessions().at(0).hmac_key, "k\x01\xff");
}

TEST_F(JetStreamStore, ASecondWriterOfTheSameSeqIsRefusedNotInterleaved) {
  outcomes out;
  auto a = session_with(1, out);
  auto b = open();
  b->append_at("123456", 2, "{\"by\":\"b\"}", out.as("b2"));  // b reads the tip (1 event) from the stream
  b->flush();
  ASSERT_TRUE(out.ok("b2"));
  a->append_at("123456", 2, "{\"by\":\"a\"}", out.as("a2"));  // a's cached tip is stale: refused
  a->flush();
  EXPECT_FALSE(out.ok("a2"));
  // Until a's writer says it has read the log again, a takes nothing more: a3 was decided on a2.
  a->append_at("123456", 3, "{\"by\":\"a\"}", out.as("stale"));
  a->flush();
  EXPECT_FALSE(out.ok("stale"));
  a->resume("123456");
  a->append_at("123456", 3, "{\"by\":\"a\"}", out.as("a3"));  // a re-read the tip: goes on after b
  a->flush();
  EXPECT_TRUE(out.ok("a3"));
  EXPECT_EQ(a->events("123456"), (std::vector<std::string>{"{\"e\":1}", "{\"by\":\"b\"}", "{\"by\":\"a\"}"}));
}

TEST_F(JetStreamStore, AWriteNoServerAckedFailsAndEverythingAckedSurvivesARestart) {
  outcomes out;
  auto store = session_with(2, out);
  nats.kill_hard();
  store->append_at("123456", 3, "{\"e\":3}", out.as("down"));
  store->flush();
  EXPECT_FALSE(out.ok("down"));
  nats.start();
  // The client reconnects by itself; meanwhile reads fail (a room's reload tries again every second).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!store->connected() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  // What the client had sent before it saw the server go may reach the new one (once: same Nats-Msg-Id), so
  // the failed write is either stored or not; never twice, never before what was acked.
  auto events = store->events("123456");
  ASSERT_GE(events.size(), 2u);
  ASSERT_LE(events.size(), 3u);
  EXPECT_EQ(events[0], "{\"e\":1}");
  EXPECT_EQ(events[1], "{\"e\":2}");
  if (events.size() == 3) {
    EXPECT_EQ(events[2], "{\"e\":3}");
  }
  const auto next = events.size() + 1;
  store->resume("123456");
  store->append_at("123456", next, "{\"after\":true}", out.as("up"));
  store->flush();
  EXPECT_TRUE(out.ok("up"));
  EXPECT_EQ(store->events("123456").size(), next);
}

TEST_F(JetStreamStore, EndingForgetsTheKeyAndPurgingKeepsTheCodeTaken) {
  outcomes out;
  auto store = session_with(2, out);
  store->mark_ended("123456", 5000, out.as("end"));
  store->flush();
  EXPECT_TRUE(out.ok("end"));
  auto rows = store->sessions();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].hmac_key, "");
  EXPECT_EQ(rows[0].ended_ms, 5000);
  EXPECT_EQ(store->purge_ended_before(4000), std::vector<std::string>{});
  EXPECT_EQ(store->purge_ended_before(6000), std::vector<std::string>{"123456"});
  EXPECT_TRUE(store->events("123456").empty());
  EXPECT_TRUE(store->sessions().empty());
  EXPECT_TRUE(store->code_used("123456"));
  EXPECT_FALSE(store->purge("123456"));
  store->create_session("123456", "new", 7000, out.as("reuse"));
  store->flush();
  EXPECT_FALSE(out.ok("reuse"));
}

TEST_F(JetStreamStore, NoServerAtTheAddressIsAClearError) {
  jetstream_options o;
  o.servers = {"nats://127.0.0.1:1"};
  o.attempt_timeout_ms = 300;
  try {
    jetstream_store::open(o);
    FAIL() << "opened a store with no server";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot reach NATS at nats://127.0.0.1:1"), std::string::npos) << e.what();
  }
}

}  // namespace

namespace {

// The name of the node that leads the stream now.

}  // namespace

// A three-node JetStream cluster on loopback, and the options of a store with three replicas on it.
class JetStreamCluster : public ::testing::Test {
protected:
  temp_dir dir;
  roundtable::test::nats_cluster cluster{dir.path()};

  jetstream_options options() const {
    jetstream_options o;
    o.servers = cluster.url_list();
    o.replicas = 3;
    return o;
  }
};

// Three nodes, three replicas: the stream's leader dies in the middle of a burst. Every acked write is
// there once, in order; the store goes on writing on the two nodes left.
TEST_F(JetStreamCluster, EveryAckedWriteSurvivesTheStreamLeadersDeathOnce) {
  auto o = options();
  o.attempt_timeout_ms = 1000;
  o.write_deadline_ms = 10000;  // a new leader is elected within a few seconds
  auto store = jetstream_store::open(o);
  outcomes out;
  store->create_session("123456", "k", 1, out.as("create"));
  store->flush();
  ASSERT_TRUE(out.ok("create"));
  const auto leader = roundtable::test::stream_leader(o.servers);
  ASSERT_FALSE(leader.empty());

  std::vector<std::string> acked;
  std::uint64_t next = 1;
  for (int burst = 0; burst < 8; ++burst) {
    std::vector<std::string> sent;
    for (int k = 0; k < 5; ++k) {
      sent.push_back("{\"w\":" + std::to_string(burst * 5 + k) + "}");
      store->append_at("123456", next + k, sent.back(), out.as(sent.back()));
    }
    if (burst == 3) cluster.node(leader).kill_hard();  // mid-burst: some of these are in flight
    store->flush();
    for (const auto& p : sent)
      if (out.ok(p)) acked.push_back(p);
    // As a room does after a failed write: read the log again and go on after what it holds.
    next = store->events("123456").size() + 1;
    store->resume("123456");
  }
  EXPECT_GE(acked.size(), 30u) << "the store should write on after the election";
  const auto events = store->events("123456");
  std::set<std::string> unique(events.begin(), events.end());
  EXPECT_EQ(unique.size(), events.size()) << "a write stored twice";
  // Every acked write is there, in the order written.
  auto at = events.begin();
  for (const auto& a : acked) {
    at = std::find(at, events.end(), a);
    ASSERT_NE(at, events.end()) << a << " was acked and is lost, or out of order";
  }
  EXPECT_NE(roundtable::test::stream_leader({cluster.node(leader == "n1" ? "n2" : "n1").url()}), leader);
}

// Three stores (three servers) race for the same seq of one session, round after round, on three replicas.
// nats-server 2.9.10 lets concurrent publishes with one expected last sequence all through there
// (nats-server#4320); the slot's Nats-Msg-Id must still let exactly one of them store its event each round,
// tell each writer truly whether it was its own, and keep the log one event per round.
TEST_F(JetStreamCluster, WritersRacingForOneSeqOnThreeReplicasStoreOneMessageEachTime) {
  const auto o = options();
  std::vector<std::unique_ptr<jetstream_store>> stores;
  for (int i = 0; i < 3; ++i) stores.push_back(jetstream_store::open(o));
  outcomes out;
  stores[0]->create_session("123456", "k", 1, out.as("create"));
  stores[0]->flush();
  ASSERT_TRUE(out.ok("create"));

  constexpr int rounds = 60;
  std::atomic<std::uint64_t> next{1};  // the seq every writer of a round appends at: after the log's last
  const auto read_next = [&]() noexcept {
    try {
      next = stores[0]->events("123456").size() + 1;
    } catch (...) {
      next = 0;  // no seq: every write of the next round fails, and the checks below say so
    }
  };
  std::barrier start(3);
  std::barrier finish(3, read_next);
  std::vector<std::thread> writers;
  for (int w = 0; w < 3; ++w)
    writers.emplace_back([&, w] {
      for (int r = 1; r <= rounds; ++r) {
        stores[w]->resume("123456");  // as a room after a reload: the tip is read again
        start.arrive_and_wait();
        const auto name = "{\"w\":" + std::to_string(w) + ",\"r\":" + std::to_string(r) + "}";
        stores[w]->append_at("123456", next, name, out.as(name));
        stores[w]->flush();
        finish.arrive_and_wait();
      }
    });
  for (auto& t : writers) t.join();

  const auto events = stores[0]->events("123456");
  ASSERT_LE(events.size(), static_cast<std::size_t>(rounds));
  int won = 0;
  for (int r = 1; r <= rounds; ++r) {
    std::vector<std::string> acked;
    for (int w = 0; w < 3; ++w) {
      const auto name = "{\"w\":" + std::to_string(w) + ",\"r\":" + std::to_string(r) + "}";
      if (out.ok(name)) acked.push_back(name);
    }
    ASSERT_LE(acked.size(), 1u) << "round " << r << ": two writers were told their event is the log's";
    if (acked.empty()) continue;
    ++won;
    // The acked one is the stored one, at its seq.
    EXPECT_NE(std::find(events.begin(), events.end(), acked[0]), events.end()) << acked[0] << " acked, not stored";
  }
  EXPECT_EQ(static_cast<std::size_t>(won), events.size()) << "a stored event nobody was told of";
  EXPECT_GE(won, rounds * 9 / 10) << "most rounds have a winner";
}
