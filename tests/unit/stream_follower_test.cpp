// The follower's blocking thread (cluster::stream_follower::run_blocking), where rooms ask the stream how many
// events it holds off their strands: work runs in order, and what waits is bounded, so a stream that stops
// answering cannot let a flood of refused requests grow a queue.
#include "cluster/stream_follower.hpp"

#include <gtest/gtest.h>

#include <future>
#include <vector>

#include "nats_server.hpp"
#include "ws_client.hpp"

using roundtable::facilitator::cluster::stream_follower;
using roundtable::test::nats_server;
using roundtable::test::temp_dir;

TEST(StreamFollower, BlockingWorkRunsInOrderAndAtMost256Wait) {
  temp_dir dir;
  nats_server nats{dir.path()};
  roundtable::store::jetstream_options o;
  o.servers = {nats.url()};
  stream_follower follower(o);

  // The thread is held by one piece of work (a JetStream request that does not answer).
  std::promise<void> started, release;
  auto released = release.get_future().share();
  ASSERT_TRUE(follower.run_blocking([&] {
    started.set_value();
    released.wait();
  }));
  started.get_future().wait();
  std::vector<int> ran;  // written on the blocking thread only, read after stop_blocking
  for (int i = 0; i < 256; ++i) EXPECT_TRUE(follower.run_blocking([&ran, i] { ran.push_back(i); })) << i;
  EXPECT_FALSE(follower.run_blocking([&ran] { ran.push_back(-1); })) << "a 257th waiting piece of work was taken";

  release.set_value();
  follower.stop_blocking();
  ASSERT_EQ(ran.size(), 256u);
  for (int i = 0; i < 256; ++i) EXPECT_EQ(ran[i], i);
}
