// Counters for /metrics, updated from any thread.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace roundtable::facilitator {

// Upper bounds (seconds) of the vote-to-ack latency buckets; the last bucket is +Inf.
inline constexpr std::array<double, 12> vote_ack_bounds_s{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                          0.1,   0.25,   0.5,   1,    2.5,   5};

/// A Prometheus histogram of durations, observed from any thread.
struct latency_histogram {
  std::array<std::atomic<std::uint64_t>, vote_ack_bounds_s.size() + 1> counts{};  // per bucket, not cumulative
  std::atomic<std::uint64_t> sum_us{0};

  /// Counts one duration in its bucket.
  void observe(std::chrono::steady_clock::duration d) {
    const double s = std::chrono::duration<double>(d).count();
    std::size_t b = 0;
    while (b < vote_ack_bounds_s.size() && s > vote_ack_bounds_s[b]) ++b;
    counts[b].fetch_add(1, std::memory_order_relaxed);
    sum_us.fetch_add(static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(d).count()),
                     std::memory_order_relaxed);
  }
};

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
  std::atomic<std::uint64_t> reloads{0};          // rooms rebuilt by reading their whole log
  std::atomic<std::uint64_t> rebases{0};          // rooms sent back to the stream's state (--nats, a write beaten)
  std::atomic<std::uint64_t> forwarded{0};        // participants' requests sent to the session's writer (--nats)
  std::atomic<std::uint64_t> forwards_served{0};  // requests other servers forwarded, decided here
  std::atomic<std::uint64_t> forwards_decided_here{0};  // forwarded requests the writer did not answer
  std::atomic<std::int64_t> quarantined{0};             // stored sessions not served: their log does not replay
  latency_histogram vote_ack;                           // a vote's arrival at its room to its ack being queued
};

}  // namespace roundtable::facilitator
