#pragma once

// The connection to a NATS cluster and the KV buckets that both JetStream stores open: the event log
// (jetstream_store.hpp) and the facilitators' keys (jetstream_key_store.hpp).

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "store/nats_handles.hpp"

namespace roundtable::store::nats {

/// A connection and its JetStream context.
struct link {
  handle<natsConnection> nc;
  handle<jsCtx> js;
};

/// Connects to one of `servers` (nats://HOST:PORT; reconnecting forever, to any of them) with JetStream
/// requests waiting `wait_ms`; throws error("cannot reach NATS at ...") when none answers.
link connect(const std::vector<std::string>& servers, std::int64_t wait_ms);

/// The KV bucket `name` (file storage, history 1, `replicas` copies), created when missing if `create`,
/// else refused with a std::runtime_error naming it.
handle<kvStore> open_bucket(jsCtx* js, const std::string& name, int replicas, bool create);

/// Runs `open` until it stops throwing nats::error, for up to `deadline_ms` (a fresh cluster answers
/// JetStream requests only once it elected a meta leader, seconds after its nodes listen); returns what
/// `open` returned, or throws its last error. Other exceptions (a refusal) are thrown at once.
template <class F>
auto until_ready(F&& open, std::int64_t deadline_ms) -> decltype(open()) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(deadline_ms);
  for (;;) {
    try {
      return open();
    } catch (const error&) {
      if (std::chrono::steady_clock::now() >= deadline) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
}

}  // namespace roundtable::store::nats
