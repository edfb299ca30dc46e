// purge_watch's sweep, in process on real components (a nats-server, the JetStream store, the follower, the
// registry): a purge whose word this server missed is found by the sweep, and only that session is forgotten.
// The word itself, across three facilitator processes, is tested in tests/integration/cluster_purge_test.cpp.
#include "purge_watch.hpp"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>

#include <fstream>
#include <future>
#include <mutex>
#include <sstream>
#include <thread>

#include "cluster/stream_follower.hpp"
#include "demo_scenario.hpp"
#include "metrics.hpp"
#include "nats_server.hpp"
#include "room_registry.hpp"
#include "roundtable/scenario.hpp"
#include "store/jetstream_store.hpp"
#include "ws_client.hpp"

using namespace roundtable;
using namespace roundtable::facilitator;
using namespace std::chrono_literals;

namespace {}  // namespace

TEST(PurgeWatch, ASweepFindsAPurgeWhoseWordWasMissedAndForgetsOnlyThatSession) {
  test::temp_dir dir;
  test::nats_server nats{dir.path()};
  store::jetstream_options o;
  o.servers = {nats.url()};
  auto store = store::jetstream_store::open(o);
  cluster::stream_follower follower(o);
  boost::asio::io_context ioc;
  auto work = boost::asio::make_work_guard(ioc);
  std::thread io([&] { ioc.run(); });
  facilitator::metrics counters;
  room_services services{*store, counters, "http://x", nullptr, &follower};
  room_registry rooms(ioc, services);
  const auto start = [&] {
    std::promise<bool> stored;
    const auto r = rooms.start(test::demo_scenario(), 1, protocol::start{"demo", {}, {}, {}, {}, {}}, "",
                               [&](const std::shared_ptr<room>&, bool ok) { stored.set_value(ok); });
    EXPECT_TRUE(stored.get_future().get());
    return r->code();
  };
  const auto kept = start();
  const auto purged = start();

  // Another server's purge, said on NATS while this server's watch was not listening (as while reconnecting).
  ASSERT_TRUE(store->purge(purged));
  ASSERT_TRUE(rooms.holds(purged));
  std::mutex mutex;
  std::vector<std::string> forgotten;
  purge_watch watch(
      ioc, rooms, *store, follower,
      [&](const std::string& code) {
        std::lock_guard lock(mutex);
        forgotten.push_back(code);
      },
      200ms);
  watch.start();
  EXPECT_TRUE(test::eventually([&] { return !rooms.holds(purged); }, 5s)) << "the sweep never found the purge";
  std::this_thread::sleep_for(500ms);  // two more sweeps: the live session stays
  EXPECT_TRUE(rooms.holds(kept));
  {
    std::lock_guard lock(mutex);
    EXPECT_EQ(forgotten, std::vector<std::string>{purged}) << "forgotten once, and nothing else";
  }

  watch.shutdown();
  rooms.shutdown();
  follower.stop_blocking();  // its last checks use the registry
  work.reset();
  ioc.stop();
  io.join();
}
