// Keeps every room of a server that shares its event log (`serve --nats`) in step with the stream:
// one ordered JetStream consumer per session, whose messages (the events any server stored, this one's
// too) are handed to the room, which folds the ones it does not hold yet with the core's `apply`; and
// core NATS subscriptions per session: the servers' presence, the participants' requests forwarded to the
// session's writer, and the writer's answers (room_forwarding.cpp).
#pragma once

#include <nats/nats.h>

#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "store/jetstream_store.hpp"
#include "store/nats_handles.hpp"

#include "room.hpp"

namespace roundtable::facilitator::cluster {

class stream_follower final : public cluster_link {
public:
  /// Connects to the cluster (its own connection, apart from the store's writes); throws
  /// std::runtime_error saying what is wrong.
  explicit stream_follower(const store::jetstream_options& options);
  /// Stops every subscription, then closes the connection.
  ~stream_follower() override;
  stream_follower(const stream_follower&) = delete;
  stream_follower& operator=(const stream_follower&) = delete;

  /// Delivers r's session's last stored message to r (room::follow), then each new one as it is stored,
  /// in order; a room that follows again (after each reload) replaces its subscription. Throws if the
  /// subscription cannot be made.
  void follow(const std::shared_ptr<room>& r) override;
  /// Unsubscribes what follow subscribed for code.
  void unfollow(const std::string& code) override;
  /// Subscribes (once) to the store's purged subject; told runs under a lock, so once on_purged(nullptr) returned,
  /// the one before it is never called again.
  void on_purged(std::function<void(const std::string& code)> told) override;
  /// Publishes {"server": this server's id, "count": count} on the session's presence subject.
  void share_presence(const std::string& code, const std::vector<voter_id>& voters) override;
  const std::string& server_id() const override { return server_id_; }
  /// On the follower's one blocking thread, in order; false when 256 are waiting already.
  bool run_blocking(std::function<void()> work) override;
  /// Runs what run_blocking took and stops its thread (before the rooms' services go: serve's end).
  void stop_blocking();
  /// Publishes body on the writer's forward subject, its answer to come on this server's answer subject.
  bool forward(const std::string& code, const std::string& owner, std::uint64_t token,
               const std::string& body) override;
  /// Publishes frame on reply_to (core NATS: a lost answer is a request decided again after ten seconds).
  void answer(const std::string& reply_to, const std::string& frame, std::uint64_t through) override;
  /// The header of an answer that says how many events the stream holds at least.
  static constexpr const char* through_header = "Roundtable-Through";
  /// True for what a server id may be: 1 to 32 characters of the token alphabet (A-Z a-z 0-9 - _).
  static bool is_server_id(std::string_view id);
  /// The subject on which the servers of a session say their presence counts.
  static std::string presence_subject(const std::string& code);
  /// The subject on which server `server` takes the requests of session `code` that others forward to it.
  static std::string forward_subject(const std::string& code, const std::string& server);
  /// The subjects on which server `server` hears the answers to its forwards of session `code` (prefix + token).
  static std::string answer_prefix(const std::string& server, const std::string& code);

private:
  // What a subscription's callback reaches: the room, weakly (a room that is gone is skipped).
  struct target {
    std::weak_ptr<room> r;
    std::string self;  // this server's id
  };

  // Subscribes to subject (a JetStream consumer when js_options is given, else core NATS) with a target
  // of r that the subscription frees once it is done.
  store::nats::handle<natsSubscription> subscribe(const std::shared_ptr<room>& r, const std::string& subject,
                                                  natsMsgHandler handler, jsSubOptions* js_options);
  static void on_message(natsConnection*, natsSubscription*, natsMsg* msg, void* closure);
  static void on_presence(natsConnection*, natsSubscription*, natsMsg* msg, void* closure);
  static void on_forward(natsConnection*, natsSubscription*, natsMsg* msg, void* closure);
  static void on_answer(natsConnection*, natsSubscription*, natsMsg* msg, void* closure);
  static void on_purged_word(natsConnection*, natsSubscription*, natsMsg* msg, void* closure);
  // A subscription closed and its handler returned: its target goes.
  static void on_complete(void* closure);

  store::jetstream_options options_;
  store::nats::handle<natsConnection> nc_;
  store::nats::handle<jsCtx> js_;
  const std::string server_id_;  // random: tells this server's presence messages from the others'
  std::mutex mutex_;
  struct subscriptions {
    store::nats::handle<natsSubscription> events;
    store::nats::handle<natsSubscription> presence;
    store::nats::handle<natsSubscription> forwards;  // requests forwarded to this server
    store::nats::handle<natsSubscription> answers;   // answers to this server's forwards
  };
  std::map<std::string, subscriptions> subs_;
  static void unsubscribe(subscriptions& subs);
  std::mutex purged_mutex_;  // held while purged_told_ runs
  std::function<void(const std::string&)> purged_told_;
  store::nats::handle<natsSubscription> purged_;  // the store's purged subject
  boost::asio::thread_pool blocking_{1};
  std::atomic<int> blocking_waiting_{0};
};

}  // namespace roundtable::facilitator::cluster
