#pragma once

// The seam between the rooms and whatever keeps their events: an append-only log per session
// plus the sessions' codes and keys. The SQLite store (event_store.hpp) is the embedded default;
// the JetStream store (jetstream_store.hpp, `serve --nats`) keeps the same log in a NATS stream.
// The rooms, the registry, exports and /metrics see only this interface. Payloads are opaque
// JSON text: a store knows nothing of what the events mean.

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace roundtable::store {

// Called on the store's own thread with true once the write is durable, false
// when it failed (and nothing of it was stored). Must not throw and must not
// call flush() or a purge (they wait for that thread).
using completion = std::function<void(bool committed)>;

struct session_row {
  std::string code;
  std::string hmac_key;  // raw bytes
  std::int64_t created_ms = 0;
  std::optional<std::int64_t> ended_ms;
};

// Upper bounds (milliseconds) of the commit latency histogram buckets; the
// last bucket of the snapshot is +Inf.
inline constexpr std::array<double, 9> commit_latency_bounds_ms{0.5, 1, 2, 5, 10, 25, 50, 100, 250};

// Upper bounds of the batch size histogram buckets; the last is +Inf.
inline constexpr std::array<std::uint64_t, 7> batch_size_bounds{1, 4, 16, 64, 256, 1024, 4096};

// A consistent-enough copy of the counters, for /metrics.
struct store_stats {
  std::uint64_t commits = 0;           // transactions committed
  std::uint64_t failed_batches = 0;    // transactions rolled back
  std::uint64_t writes_committed = 0;  // writes reported committed=true
  std::uint64_t writes_failed = 0;     // writes reported committed=false
  std::uint64_t queued = 0;            // writes waiting for the writer now
  bool failing = false;                // the store refuses writes now (its last write failed)
  std::uint64_t last_batch = 0;        // writes in the latest transaction
  std::uint64_t max_batch = 0;         // most writes in one transaction
  // Cumulative (Prometheus "le") counts of transactions by batch size.
  std::array<std::uint64_t, batch_size_bounds.size() + 1> batch_size_buckets{};
  // Time from BEGIN to the end of COMMIT, in microseconds.
  std::uint64_t commit_latency_us_sum = 0;
  std::uint64_t commit_latency_count = 0;
  // Cumulative (Prometheus "le") counts by commit latency.
  std::array<std::uint64_t, commit_latency_bounds_ms.size() + 1> commit_latency_buckets{};
};

// What reads a store's sessions and their logs: the served store, and a read-only file for the
// commands that only read (export, report, the checks of purge).
class log_reader {
public:
  virtual ~log_reader() = default;

  // Every session in the store, ordered by creation time.
  virtual std::vector<session_row> sessions() = 0;

  // The session's event payloads in seq order (empty for an unknown code).
  virtual std::vector<std::string> events(const std::string& code) = 0;

  // True when the code was ever given to a session here, purged ones too.
  virtual bool code_used(const std::string& code) = 0;

  // One session's row (nullopt for an unknown or purged code); a store that can look one up overrides it.
  virtual std::optional<session_row> session(const std::string& code) {
    for (auto& row : sessions())
      if (row.code == code) return row;
    return std::nullopt;
  }
};

// An append-only event log per session. Writes are queued and reported through their
// completion; reads and purges block.
class log_store : public log_reader {
public:
  // Queues a new session; fails if the code was ever used in this store.
  virtual void create_session(std::string code, std::string hmac_key, std::int64_t created_ms, completion done) = 0;

  // Queues an event for the session; its seq is the session's next (from 1).
  // Fails for an unknown session.
  virtual void append(std::string code, std::string payload, completion done) = 0;

  // Queues an event that must be the session's seq-th (from 1): it fails, and
  // stores nothing, unless exactly seq - 1 events are stored before it. After a
  // failed write, the writes queued behind it fail too, so the log stays a
  // prefix of what the caller decided and always replays.
  virtual void append_at(std::string code, std::uint64_t seq, std::string payload, completion done) = 0;

  // Queues taking the session's appends again after one failed: a store shared by several servers fails
  // every append of a session after a failed one (they were decided on a state the log may not hold) until
  // its writer, having reloaded the log, says so here. A no-op where one writer owns the log.
  virtual void resume(const std::string& code) { (void)code; }

  // How many events of the session the store holds now, read from it, where other servers write the log too
  // (a refusal decided on a state behind it is decided again); nullopt where this server is its only writer.
  virtual std::optional<std::uint64_t> shared_events(const std::string& code) {
    (void)code;
    return std::nullopt;
  }

  // Queues recording that the session ended, and forgets its HMAC key, so the store and a
  // participant's token together no longer tell which ballots are theirs; fails for an
  // unknown session.
  virtual void mark_ended(std::string code, std::int64_t ended_ms, completion done) = 0;

  // Blocks until every write queued before the call is durable or failed and its
  // completion has run.
  virtual void flush() = 0;

  // Deletes the session and its events (after every write queued before it),
  // keeping the code reserved; false for an unknown code. Blocks until done;
  // throws if the storage failed.
  virtual bool purge(const std::string& code) = 0;

  // Purges every session that ended before ms; returns their codes.
  virtual std::vector<std::string> purge_ended_before(std::int64_t ms) = 0;

  // A snapshot of the statistics; callable from any thread.
  virtual store_stats stats() const = 0;
};

}  // namespace roundtable::store
