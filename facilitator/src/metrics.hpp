// Counters for /metrics, updated from any thread.
#pragma once

#include <atomic>
#include <cstdint>

namespace roundtable::facilitator {

struct metrics {
  std::atomic<std::int64_t> participants{0};  // open participant connections
  std::atomic<std::int64_t> projectors{0};
  std::atomic<std::int64_t> facilitators{0};
  std::atomic<std::int64_t> unjoined{0};          // open WebSockets without a role yet
  std::atomic<std::uint64_t> ballots{0};          // votes acked
  std::atomic<std::uint64_t> perspectives{0};     // perspectives acked
  std::atomic<std::uint64_t> requests{0};         // client frames received
  std::atomic<std::uint64_t> errors{0};           // error replies sent
  std::atomic<std::uint64_t> pushes{0};           // push messages serialised (once per audience)
  std::atomic<std::uint64_t> limited{0};          // requests refused with rate_limited
  std::atomic<std::uint64_t> write_failures{0};   // requests answered internal because a write failed
  std::atomic<std::uint64_t> internal_errors{0};  // exceptions caught at a room's strand (the room reloads)
  std::atomic<std::int64_t> quarantined{0};       // stored sessions not served: their log does not replay
};

}  // namespace roundtable::facilitator
