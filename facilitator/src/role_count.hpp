// One connection's place in the role gauges of /metrics (roundtable_connections{role=...}).
#pragma once

#include <atomic>
#include <cstdint>

#include "metrics.hpp"

namespace roundtable::facilitator {

/// Counts one WebSocket in exactly one role gauge, from its opening until it is gone: the router
/// owns it (in the connection's state, dropped at on_close) and moves it for a facilitator; a
/// room, holding it weakly, moves it when it admits a participant or projector. So a gauge is
/// never raised in one place and lowered in another, and a connection that closes halfway
/// through a join is counted out all the same. Rooms never keep it alive: their pending work
/// may outlive the metrics it counts in.
class role_count {
public:
  /// Counts the connection as without a role (roundtable_connections{role="none"}).
  explicit role_count(metrics& m) : gauge_(&m.unjoined) { ++m.unjoined; }
  ~role_count() { --*gauge_.load(); }
  role_count(const role_count&) = delete;
  role_count& operator=(const role_count&) = delete;

  /// Moves the connection to another gauge (any thread; nothing when it is counted there already).
  void count_as(std::atomic<std::int64_t>& gauge) {
    auto* const old = gauge_.exchange(&gauge);
    if (old == &gauge) return;
    ++gauge;
    --*old;
  }

private:
  std::atomic<std::atomic<std::int64_t>*> gauge_;
};

}  // namespace roundtable::facilitator
