// A room's strand boundary, with a real store and a connection that throws when it is sent to: the
// requester is answered `internal`, the exception is counted, the room reloads and carries on, and nothing
// leaves the io_context (before the fix, ioc.run() threw, which ends `facilitator serve`).
#include "room.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include <sqlite3.h>
#include <boost/asio/executor_work_guard.hpp>

#include "demo_scenario.hpp"
#include "metrics.hpp"
#include "room_registry.hpp"
#include "store/event_store.hpp"

using namespace roundtable;
using namespace roundtable::facilitator;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// A connection that records what it is sent, and throws on the next `throws` sends.
class fake_connection : public net::connection {
public:
  std::atomic<int> throws{0};

  void send(std::shared_ptr<const std::string> text, std::uint64_t = 0) override {
    if (throws > 0) {
      --throws;
      throw std::runtime_error("a send that throws");
    }
    std::lock_guard lock(mutex_);
    received_.push_back(json::parse(*text));
  }
  void send_pair(std::shared_ptr<const std::string> a, std::uint64_t a_slot, std::shared_ptr<const std::string> b,
                 std::uint64_t b_slot) override {
    send(std::move(a), a_slot);
    send(std::move(b), b_slot);
  }
  void close(net::close_code, std::string) override {}
  std::uint64_t id() const override { return id_; }
  const std::string& remote_address() const override { return address_; }
  std::size_t queued_bytes() const override { return 0; }
  bool closed() const override { return false; }

  /// The nth reply (from 0) carrying this request id, if it came.
  std::optional<json> reply(const std::string& id, int nth) const {
    std::lock_guard lock(mutex_);
    for (const auto& m : received_)
      if (m.value("id", "") == id && nth-- == 0) return m;
    return std::nullopt;
  }

private:
  static inline std::atomic<std::uint64_t> next_id_{1};
  const std::uint64_t id_ = next_id_++;
  const std::string address_ = "127.0.0.1";
  mutable std::mutex mutex_;
  std::vector<json> received_;
};

struct RoomBoundary : ::testing::Test {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("room-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
                               std::to_string(reinterpret_cast<std::uintptr_t>(this)));
  boost::asio::io_context ioc;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work = boost::asio::make_work_guard(ioc);
  std::unique_ptr<store::event_store> store;
  facilitator::metrics counters;
  std::unique_ptr<room_services> services;
  std::unique_ptr<room_registry> rooms;
  std::shared_ptr<room> r;

  void SetUp() override {
    std::filesystem::create_directories(dir);
    store = store::event_store::open(dir / "rt.db");
    services = std::make_unique<room_services>(room_services{*store, counters, "http://x", nullptr, nullptr});
    rooms = std::make_unique<room_registry>(ioc, *services);
    std::atomic<bool> stored = false;
    r = rooms->start(test::demo_scenario(), 1,
                     protocol::start{"demo", std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt}, "",
                     [&](const std::shared_ptr<room>&, bool ok) { stored = ok; });
    ASSERT_TRUE(run_until([&] { return stored.load(); }));
  }
  void TearDown() override {
    rooms->shutdown();
    work.reset();
    ioc.run_for(100ms);
    r.reset();
    rooms.reset();
    store.reset();
    std::filesystem::remove_all(dir);
  }

  // Runs the io_context here until pred holds (false after 5 s); an exception from a handler fails the test.
  bool run_until(const std::function<bool()>& pred) {
    for (int i = 0; i < 500; ++i) {
      ioc.restart();
      EXPECT_NO_THROW(ioc.run_for(10ms)) << "an exception left the room's strand";
      if (pred()) return true;
    }
    return false;
  }
  std::shared_ptr<fake_connection> console = std::make_shared<fake_connection>();
  std::shared_ptr<fake_connection> participant = std::make_shared<fake_connection>();
  std::shared_ptr<role_count> count = std::make_shared<role_count>(counters);

  // The console opens gut and `participant` joins with token-1.
  void open_gut_and_join() {
    r->command(console, protocol::open{r->code(), "gut", std::nullopt, std::nullopt}, "open");
    ASSERT_EQ(answer(*console, "open")["type"], "ack");
    r->join(participant, r->voter_key("token-1"), count, "join");
    ASSERT_EQ(answer(*participant, "join")["type"], "joined");
  }
  // The nth answer to c's request with this id.
  json answer(fake_connection& c, const std::string& id, int nth = 0) {
    std::optional<json> got;
    EXPECT_TRUE(run_until([&] { return (got = c.reply(id, nth)).has_value(); })) << "no reply to " << id;
    return got.value_or(json::object());
  }
};

// Runs one SQL statement on the database file from a connection of its own (as another program would).
void sql(const std::filesystem::path& db, const std::string& statement) {
  sqlite3* handle = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &handle), SQLITE_OK);
  sqlite3_busy_timeout(handle, 5000);
  const int rc = sqlite3_exec(handle, statement.c_str(), nullptr, nullptr, nullptr);
  sqlite3_close(handle);
  ASSERT_EQ(rc, SQLITE_OK) << statement;
}

}  // namespace

TEST_F(RoomBoundary, AnExceptionInAHandlerIsAnsweredInternalCountedAndTheRoomCarriesOn) {
  open_gut_and_join();
  auto p = participant;
  // The ack of this vote throws (its write is durable by then).
  p->throws = 1;
  const json ballot{{"choice", "refer"}};
  r->request(p, r->voter_key("token-1"), protocol::vote{"gut", ballot}, "v1");
  const auto failed = answer(*p, "v1");
  EXPECT_EQ(failed.value("code", ""), "internal") << failed.dump();
  EXPECT_EQ(counters.internal_errors.load(), 1u);
  // The room reloaded from the store and carries on: the resend is acked, and the ballot stored once.
  r->request(p, r->voter_key("token-1"), protocol::vote{"gut", ballot}, "v1");
  EXPECT_EQ(answer(*p, "v1", 1)["type"], "ack");
  // A projector's watch whose reply throws is answered internal too; the next one is served.
  auto projector = std::make_shared<fake_connection>();
  auto watching = std::make_shared<role_count>(counters);
  projector->throws = 1;
  r->watch(projector, watching, "w1");
  EXPECT_EQ(answer(*projector, "w1").value("code", ""), "internal");
  EXPECT_EQ(counters.internal_errors.load(), 2u);
  r->watch(projector, watching, "w2");
  const auto watched = answer(*projector, "w2");
  ASSERT_EQ(watched["type"], "joined") << watched.dump();
  r->command(console, protocol::close{r->code(), "gut"}, "close");
  ASSERT_EQ(answer(*console, "close")["type"], "ack");
  const auto e = store->events(r->code());
  int ballots = 0;
  for (const auto& payload : e) ballots += json::parse(payload)["type"] == "ballot_cast";
  EXPECT_EQ(ballots, 1);
}

// A resend decided while its first copy's write was pending finds the ballot in the state and makes no
// event; when that write then fails, the resend was never acked, so it must not be remembered as a vote
// acked without an event. Before the fix it was: after the reload the next resend was acked from memory,
// and the acked vote was in no log.
TEST_F(RoomBoundary, AResendDecidedOnAWriteThatFailedIsNotRememberedAsAcked) {
  open_gut_and_join();
  auto p = participant;
  sql(dir / "rt.db", "ALTER TABLE events RENAME TO events_away");  // the next write fails
  const json ballot{{"choice", "refer"}};
  r->request(p, r->voter_key("token-1"), protocol::vote{"gut", ballot}, "v1");
  r->request(p, r->voter_key("token-1"), protocol::vote{"gut", ballot}, "v1");  // while the first is pending
  EXPECT_EQ(answer(*p, "v1", 0).value("code", ""), "internal");
  EXPECT_EQ(answer(*p, "v1", 1).value("code", ""), "internal");
  sql(dir / "rt.db", "ALTER TABLE events_away RENAME TO events");
  // The client resends until acked (the room reloads itself within a second or two).
  json reply = json::object();
  for (int nth = 2; nth < 40 && reply.value("type", "") != "ack"; ++nth) {
    r->request(p, r->voter_key("token-1"), protocol::vote{"gut", ballot}, "v1");
    reply = answer(*p, "v1", nth);
    if (reply.value("type", "") == "ack") break;
    ioc.restart();
    ioc.run_for(200ms);  // the reload's retry timer
  }
  ASSERT_EQ(reply.value("type", ""), "ack") << reply.dump();
  int ballots = 0;
  for (const auto& payload : store->events(r->code())) ballots += json::parse(payload)["type"] == "ballot_cast";
  EXPECT_EQ(ballots, 1) << "the acked vote is not in the log";
}
