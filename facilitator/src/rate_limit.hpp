// Rate limits, as pure logic: a token bucket, a sliding window of failures, and a bounded
// table of windows keyed by an opaque string (a keyed hash of an address). No clock, no
// I/O: every call takes the time, so tests drive it with plain numbers.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace roundtable::facilitator {

/// Time in nanoseconds of a monotonic clock (steady_clock in the server, any number in tests).
using nanos = std::int64_t;

/// The limits of protocol.md "Limits" that are not the transport's; each is a serve flag.
struct rate_limits {
  /// Messages a connection may send per second, and the burst it may send at once: a
  /// connection that stays within this many in any one second is never refused.
  int messages_per_second = 30;
  /// Wrong join codes (join or watch) per connection in one window; then every join or watch
  /// on it is refused with rate_limited until the window has room again.
  int join_failures_per_connection = 5;
  /// Wrong join codes per address (every connection from it) in one window; then every join
  /// or watch from it is refused, right codes too.
  int join_failures_per_address = 60;
  /// Wrong facilitator keys per address in one window; then every host from it is refused.
  int key_failures_per_address = 5;
  /// Joins and watches per connection in one window, right ones too: each is answered with a whole
  /// SessionView, so one connection may not ask for it over and over; then rate_limited.
  int joins_per_connection = 10;
  /// The window of the failure limits (and of joins_per_connection).
  std::chrono::seconds failure_window{60};
  /// A connection refused this long without a second's pause is closed (1008).
  std::chrono::seconds flood_close_after{5};
  /// Addresses remembered at most (per table); beyond it the stalest entries are evicted.
  std::size_t max_addresses = 10000;
};

/// The failure window of lim in the limits' clock units (nanos).
inline nanos window_of(const rate_limits& lim) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(lim.failure_window).count();
}

/// A token bucket in exact integer arithmetic: holds at most `burst` tokens, refills `per_second`
/// tokens a second, starts full. With burst == per_second, any sequence with at most that many
/// takes in every one-second interval is never refused.
class token_bucket {
public:
  /// A full bucket at time now.
  token_bucket(int burst, int per_second, nanos now);
  /// Takes one token if there is one (true), else leaves the bucket as it is (false).
  bool take(nanos now);

private:
  static constexpr std::int64_t unit = 1'000'000'000;  // one token, in units
  std::int64_t capacity_;                              // units
  std::int64_t rate_;                                  // units per nanosecond
  std::int64_t units_;
  nanos last_;
};

/// How long a connection has stayed over its rate: refusals less than a second apart are one
/// stretch (the messages its bucket lets through in between do not end it).
class refusal_streak {
public:
  /// Counts a refusal at now; returns how long the stretch it belongs to has lasted.
  nanos refused(nanos now);

private:
  static constexpr nanos pause = 1'000'000'000;  // a second without refusals ends a stretch
  nanos first_ = 0;
  nanos last_ = 0;
  bool any_ = false;
};

/// The times of the last `max` failures; limited while `max` of them lie within the window.
class failure_window {
public:
  /// max failures allowed per window (at least 1), window in nanoseconds.
  failure_window(int max, nanos window);
  /// True while `max` failures happened in (now - window, now]: the next attempt is refused.
  bool limited(nanos now);
  /// Counts one failure at now.
  void record(nanos now);
  /// True when no failure within the window is remembered (the entry can be forgotten).
  bool idle(nanos now);
  /// Failures within the window.
  std::size_t count(nanos now);
  /// The time of the latest failure remembered (min of nanos when none).
  nanos last() const { return times_.empty() ? std::numeric_limits<nanos>::min() : times_.back(); }

private:
  void expire(nanos now);
  std::size_t max_;
  nanos window_;
  // Oldest first, at most max_ (a handful). A vector, not a deque: every connection has one
  // and almost all stay empty, which costs a vector nothing and a deque 576 bytes.
  std::vector<nanos> times_;
};

/// Failure windows per key (a keyed hash of an address), thread-safe, bounded: when the table
/// is full, expired entries go first, then the one whose last failure is oldest.
class failure_table {
public:
  failure_table(int max_per_key, nanos window, std::size_t max_keys);
  /// True while key has used up its failures in the window.
  bool limited(const std::string& key, nanos now);
  /// Counts one failure for key.
  void record(const std::string& key, nanos now);
  /// Keys remembered now (for tests and metrics).
  std::size_t size() const;

private:
  void make_room(nanos now);
  int max_per_key_;
  nanos window_;
  std::size_t max_keys_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, failure_window> entries_;
};

}  // namespace roundtable::facilitator
