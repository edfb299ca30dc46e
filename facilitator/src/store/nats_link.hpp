#pragma once

// The connection to a NATS cluster and the KV buckets that both JetStream stores open: the event log
// (jetstream_store.hpp) and the facilitators' keys (jetstream_key_store.hpp).

#include <cstdint>
#include <string>
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

}  // namespace roundtable::store::nats
