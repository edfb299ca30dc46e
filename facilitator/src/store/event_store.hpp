#pragma once

// The facilitator's durable store: an append-only SQLite event log.
//
// One writer thread owns the write connection and commits whatever is queued
// in one transaction (group commit); a write's completion runs on that thread
// once the transaction holding it has committed or failed. Reads use a second
// connection (WAL lets it read while the writer writes). The store knows
// nothing of what the events mean: payloads are opaque JSON text.

#include "store/event_reader.hpp"
#include "store/log_store.hpp"
#include "store/sqlite.hpp"

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace roundtable::store {

struct store_options {
  // Most writes committed in one transaction.
  std::size_t max_batch = 4096;
  // How long a connection waits for a lock held by another connection.
  std::int64_t busy_timeout_ms = 5000;
  // Creates the file when it is missing (serve); purge opens only an existing store.
  bool create = true;
};

// Creates the file's tables (the same migrations as open) without starting a writer: for the saved
// cases' table when the event log lives elsewhere (serve --nats).
void create_schema(const std::filesystem::path& file);

class event_store final : public log_store {
public:
  // Opens (creating if needed) the store at file, migrates its schema and
  // starts the writer thread; throws std::runtime_error saying what is wrong.
  static std::unique_ptr<event_store> open(const std::filesystem::path& file, store_options options = {});

  event_store(const event_store&) = delete;
  event_store& operator=(const event_store&) = delete;

  // Commits everything still queued, then stops the writer thread.
  ~event_store() override;

  // Queues a new session; fails if the code was ever used in this store.
  void create_session(std::string code, std::string hmac_key, std::int64_t created_ms, completion done) override;

  // Queues an event for the session; its seq is the session's next (from 1).
  // Fails for an unknown session.
  void append(std::string code, std::string payload, completion done) override;

  // Queues an event that must be the session's seq-th (from 1): it fails, and
  // stores nothing, unless exactly seq - 1 events are stored before it. After a
  // failed write, the writes queued behind it fail too, so the log stays a
  // prefix of what the caller decided and always replays.
  void append_at(std::string code, std::uint64_t seq, std::string payload, completion done) override;

  // Queues recording that the session ended, and forgets its HMAC key (in the file and the WAL), so
  // the store and a participant's token together no longer tell which ballots are theirs; fails for an
  // unknown session.
  void mark_ended(std::string code, std::int64_t ended_ms, completion done) override;

  // Blocks until every write queued before the call has committed or failed
  // and its completion has run.
  void flush() override;

  // The store's reading connection, for what reads the log (start-up, reloads, exports).
  event_reader& reader() { return reader_; }

  // Every session in the store, ordered by creation time.
  std::vector<session_row> sessions() override { return reader_.sessions(); }

  // The session's event payloads in seq order (empty for an unknown code).
  std::vector<std::string> events(const std::string& code) override { return reader_.events(code); }

  // True when the code was ever given to a session here, purged ones too.
  bool code_used(const std::string& code) override { return reader_.code_used(code); }

  // Deletes the session and its events (after every write queued before it),
  // keeping the code reserved; false for an unknown code. Blocks until done;
  // throws if the storage failed.
  bool purge(const std::string& code) override;

  // Purges every session that ended before ms; returns their codes.
  std::vector<std::string> purge_ended_before(std::int64_t ms) override;

  // True from a transaction that failed until one commits: the store refuses
  // writes (a full disk, an I/O error). Meanwhile the writer tries a small
  // write every second, so this clears when the disk is back even if no one
  // writes. Callable from any thread.
  bool failing() const noexcept { return failing_.load(std::memory_order_relaxed); }

  // A snapshot of the statistics; callable from any thread.
  store_stats stats() const override;

private:
  enum class op_kind { create_session, append, mark_ended, purge, purge_ended };

  struct purge_result;

  // One queued write.
  struct op {
    op_kind kind;
    std::string code;
    std::string data;  // payload or hmac key
    std::int64_t ms = 0;
    completion done;
    std::shared_ptr<purge_result> purged;
  };

  // The write connection's prepared statements.
  struct write_statements;

  event_store(sqlite::db writer, sqlite::db reader, store_options options);

  // Queues one write and returns its ticket (the count of writes ever queued).
  std::uint64_t enqueue(op&& item);
  // Queues a purge and waits for it; throws if its transaction failed.
  std::shared_ptr<purge_result> run_purge(op&& item);
  void writer_loop();
  // Runs one transaction over the batch; returns the error if it failed.
  std::optional<std::string> write_batch(std::vector<op>& batch, std::vector<char>& results);
  // Applies one write: false when that write alone was refused; throws when
  // the whole transaction is lost.
  bool apply(op& item);
  bool run_write(sqlite::statement& statement);
  void checkpoint();
  // While failing: one small transaction (the schema version written again) to see if writes work again.
  void probe();
  void record_commit(std::size_t batch_size, std::uint64_t micros);

  store_options options_;
  sqlite::db writer_db_;
  std::unique_ptr<write_statements> write_statements_;

  event_reader reader_;

  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;  // the writer waits for work
  std::condition_variable done_cv_;   // flush() waits for progress
  std::deque<op> queue_;
  std::uint64_t enqueued_ = 0;  // writes ever queued
  std::uint64_t finished_ = 0;  // writes whose completion has run
  bool stopping_ = false;

  std::atomic<bool> failing_{false};
  std::atomic<std::uint64_t> commits_{0};
  std::atomic<std::uint64_t> failed_batches_{0};
  std::atomic<std::uint64_t> writes_committed_{0};
  std::atomic<std::uint64_t> writes_failed_{0};
  std::atomic<std::uint64_t> queued_{0};
  std::atomic<std::uint64_t> last_batch_{0};
  std::atomic<std::uint64_t> max_batch_{0};
  std::array<std::atomic<std::uint64_t>, batch_size_bounds.size() + 1> batch_size_counts_{};
  std::atomic<std::uint64_t> commit_latency_us_sum_{0};
  std::atomic<std::uint64_t> commit_latency_count_{0};
  std::array<std::atomic<std::uint64_t>, commit_latency_bounds_ms.size() + 1> commit_latency_counts_{};

  // Last member: started once everything above is ready, joined first.
  std::thread writer_thread_;
};

}  // namespace roundtable::store
