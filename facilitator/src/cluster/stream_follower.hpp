// Keeps every room of a server that shares its event log (`serve --nats`) in step with the stream:
// one ordered JetStream consumer per session, whose messages (the events any server stored, this one's
// too) are handed to the room, which folds the ones it does not hold yet with the core's `apply`.
#pragma once

#include <nats/nats.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/jetstream_store.hpp"
#include "store/nats_handles.hpp"

namespace roundtable::facilitator {
class room;
}

namespace roundtable::facilitator::cluster {

class stream_follower {
public:
  /// Connects to the cluster (its own connection, apart from the store's writes); throws
  /// std::runtime_error saying what is wrong.
  explicit stream_follower(const store::jetstream_options& options);
  /// Stops every subscription, then closes the connection.
  ~stream_follower();
  stream_follower(const stream_follower&) = delete;
  stream_follower& operator=(const stream_follower&) = delete;

  /// Delivers r's session's last stored message to r (room::follow), then each new one as it is stored,
  /// in order; a room that follows again (after each reload) replaces its subscription. Throws if the
  /// subscription cannot be made.
  void follow(const std::shared_ptr<room>& r);
  /// Stops delivering a session's messages (purged).
  void forget(const std::string& code);

private:
  // What a subscription's callback reaches: the room, weakly (a room that is gone is skipped).
  struct target {
    std::weak_ptr<room> r;
  };

  static void on_message(natsConnection*, natsSubscription*, natsMsg* msg, void* closure);
  // A subscription closed and its handler returned: its target goes.
  static void on_complete(void* closure);

  store::jetstream_options options_;
  store::nats::handle<natsConnection> nc_;
  store::nats::handle<jsCtx> js_;
  std::mutex mutex_;
  std::map<std::string, store::nats::handle<natsSubscription>> subs_;
};

}  // namespace roundtable::facilitator::cluster
