#pragma once

// The event log in NATS JetStream (`facilitator serve --nats`), for sessions served by several
// facilitators (issue 13).
//
// Events: one stream (file storage, `replicas` copies) with one subject per session,
// roundtable.s.<code>.ev. A writer thread takes whatever is queued and publishes each session's
// consecutive events as one message (group commit, like the SQLite store's transaction); a write
// counts as stored only once JetStream's PubAck for its message came back. Every publish carries
// Nats-Expected-Last-Subject-Sequence (the stream sequence of the session's last message as this
// store knows it), so a second writer of the same session is refused instead of interleaved
// (optimistic concurrency), and a Nats-Msg-Id naming its slot (session and first event), so a resend
// after a lost PubAck is stored once and two writers never both fill one slot, even where the expected
// sequence check lets concurrent publishes through (nats-server 2.9.10 with three replicas, #4320).
// A refused or failed publish fails its writes and the ones queued behind them for that session;
// the session's tip is then read again from the stream.
//
// Unlike SQLite's, a failed write here may still be stored: a publish whose PubAck never came (the
// node died with it in flight, or the client resent it after reconnecting) can land later, once.
// That is safe for the room: after any failed write it reloads from the stream, so its state then
// holds the event, and the client's resend of the request is acked without a second event.
//
// Sessions: a KV bucket, one key per code, created only if absent (a code is never given twice),
// holding the HMAC key, the creation and end times, and whether the session was purged.

#include <nats/nats.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "store/log_store.hpp"
#include "store/nats_handles.hpp"

namespace roundtable::store {

struct jetstream_options {
  std::vector<std::string> servers;  // nats://HOST:PORT, one or more of the cluster's nodes
  int replicas = 1;                  // copies of the stream and the bucket (3 in production)
  std::string stream = "ROUNDTABLE";
  std::string bucket = "roundtable_sessions";
  std::string key_bucket = "roundtable_keys";  // the facilitators' keys (jetstream_key_store.hpp)
  std::int64_t attempt_timeout_ms = 2000;      // one publish's wait for its PubAck
  std::int64_t write_deadline_ms = 5000;       // resends of a publish whose PubAck did not come (and reads), up to this
  std::int64_t ready_deadline_ms = 30000;      // how long opening waits for a fresh cluster to answer JetStream
  bool create = true;                          // create the stream and bucket when missing (serve); else refuse
};

class jetstream_store final : public log_store {
public:
  // Connects, creates the stream and the bucket when they do not exist yet, and starts the
  // writer thread; throws std::runtime_error saying what is wrong (no server reachable, ...).
  static std::unique_ptr<jetstream_store> open(const jetstream_options& options);

  jetstream_store(const jetstream_store&) = delete;
  jetstream_store& operator=(const jetstream_store&) = delete;
  // Publishes everything still queued, then stops the writer thread and closes the connection.
  ~jetstream_store() override;

  void create_session(std::string code, std::string hmac_key, std::int64_t created_ms, completion done) override;
  void append(std::string code, std::string payload, completion done) override;
  void append_at(std::string code, std::uint64_t seq, std::string payload, completion done) override;
  void mark_ended(std::string code, std::int64_t ended_ms, completion done) override;
  std::optional<std::uint64_t> shared_events(const std::string& code) override;
  void resume(const std::string& code) override;
  void flush() override;
  std::vector<session_row> sessions() override;
  std::vector<std::string> events(const std::string& code) override;
  bool code_used(const std::string& code) override;
  std::optional<session_row> session(const std::string& code) override;
  bool purge(const std::string& code) override;
  std::vector<std::string> purge_ended_before(std::int64_t ms) override;
  store_stats stats() const override;

  // True while the connection to NATS is up (it reconnects by itself after a node went away).
  bool connected() const;

  // The subject of a session's events.
  static std::string subject(const std::string& code);
  // The core NATS subject on which purge() says which session it purged (the body: its code), so the servers
  // holding it forget it (purge_watch.hpp). A word to check against the bucket, never to trust.
  static constexpr const char* purged_subject = "roundtable.purged";
  // The header that names the seq of a message's first event (its others follow it).
  static constexpr const char* first_seq_header = "Roundtable-Seq";
  // The header that names the store and message that wrote a message (its Nats-Msg-Id names only the slot).
  static constexpr const char* writer_header = "Roundtable-Writer";
  // The payloads in one stored message (a JSON array of strings); throws for anything else.
  static std::vector<std::string> unpack(natsMsg* msg);
  // The seq of the last event in a session's message (its first plus its count, less one); throws for a
  // message without the first-seq header.
  static std::uint64_t events_through(natsMsg* msg, const std::string& code);

private:
  enum class op_kind { create_session, append, mark_ended, resume };

  // One queued write; seq 0 appends at the session's next seq.
  struct op {
    op_kind kind;
    std::string code;
    std::string data;  // payload or hmac key
    std::uint64_t seq = 0;
    std::int64_t ms = 0;
    completion done;
  };

  // Where a session's log ends: its event count and the stream sequence of its last message.
  struct tip {
    std::uint64_t events = 0;
    std::uint64_t stream_seq = 0;
  };

  // The outcome of one publish.
  enum class published { stored, refused, uncertain };

  jetstream_store(jetstream_options options, nats::handle<natsConnection> nc, nats::handle<jsCtx> js,
                  nats::handle<kvStore> kv);

  void enqueue(op&& item);
  void writer_loop();
  // Runs one batch in order; consecutive appends to one session go out as one message.
  void write_batch(std::vector<op>& batch);
  // Publishes batch[from, to) (appends to one session) and reports each; returns to.
  void write_appends(std::vector<op>& batch, std::size_t from, std::size_t to);
  // Stores a create_session or mark_ended; true when stored.
  bool write_session(const op& item);
  // Publishes one message, resending it (same Nats-Msg-Id) while no PubAck came, until the deadline;
  // `mine` is its writer header.
  published publish(natsMsg* msg, const std::string& mine, std::uint64_t& stream_seq);
  // A duplicate's PubAck named stream message `seq` as the slot's: stored when that message is `mine`.
  published slot_holder(std::uint64_t seq, const std::string& mine, std::uint64_t& stream_seq);
  // The session's last message in the stream; null when it has none.
  nats::handle<natsMsg> last_message(const std::string& code);
  // The session's tip as the stream holds it (cached); nullopt for a session not in the bucket.
  std::optional<tip> tip_of(const std::string& code);
  // The session's record in the bucket, as JSON text; nullopt when the code is not there.
  std::optional<std::string> record(const std::string& code);
  // events(), tried once.
  std::vector<std::string> read_events(const std::string& code);

  jetstream_options options_;
  nats::handle<natsConnection> nc_;
  nats::handle<jsCtx> js_;
  nats::handle<kvStore> kv_;
  const std::string writer_id_;  // random, in every Nats-Msg-Id: resends dedupe, other writers never do

  std::unordered_map<std::string, tip> tips_;  // writer thread only
  std::uint64_t messages_ = 0;                 // messages built, for their Nats-Msg-Id (writer thread only)
  // Sessions whose appends fail until resume(): one of theirs failed (writer thread only).
  std::unordered_set<std::string> halted_;

  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::condition_variable done_cv_;
  std::deque<op> queue_;
  std::uint64_t enqueued_ = 0;
  std::uint64_t finished_ = 0;
  bool stopping_ = false;

  std::atomic<std::uint64_t> commits_{0};
  std::atomic<std::uint64_t> failed_batches_{0};
  std::atomic<std::uint64_t> writes_committed_{0};
  std::atomic<std::uint64_t> writes_failed_{0};
  std::atomic<std::uint64_t> queued_{0};
  std::atomic<std::uint64_t> last_batch_{0};
  std::atomic<std::uint64_t> max_batch_{0};
  std::atomic<bool> unreachable_{false};  // the last publish got no answer (as opposed to stored or refused)

  // Last member: started once everything above is ready, joined first.
  std::thread writer_thread_;
};

}  // namespace roundtable::store
