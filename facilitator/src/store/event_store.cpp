#include "store/event_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace roundtable::store {
namespace {

struct migration {
  std::int64_t version;
  std::string_view sql;
};

// Applied in order, each in its own transaction; user_version records the last
// one applied. Never edit a released migration: add a new one.
constexpr migration migrations[] = {
    {1, R"sql(
CREATE TABLE sessions(
  code TEXT PRIMARY KEY,
  hmac_key BLOB NOT NULL,
  created_ms INTEGER NOT NULL,
  ended_ms INTEGER
);
CREATE TABLE events(
  session TEXT NOT NULL REFERENCES sessions(code) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  payload TEXT NOT NULL,
  PRIMARY KEY(session, seq)
) WITHOUT ROWID;
CREATE TABLE used_codes(code TEXT PRIMARY KEY);
)sql"},
    // Saved cases (scenario_store.hpp). `owner` names the facilitator key that saved the case
    // ("admin" until per-facilitator keys exist); ids are unique across owners, like the folder's.
    {2, R"sql(
CREATE TABLE saved_scenarios(
  id TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  version INTEGER NOT NULL,
  title TEXT NOT NULL,
  summary TEXT NOT NULL,
  json TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);
CREATE INDEX saved_scenarios_owner ON saved_scenarios(owner);
)sql"},
    // Facilitator keys (key_store.hpp): only a SHA-256 of each key, never the key. A name may be given a
    // new key once its old one is revoked (the revoked row stays, so `keys list` shows the history);
    // sessions and saved cases are owned by the name, so they pass to the new key.
    {3, R"sql(
CREATE TABLE facilitator_keys(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  created_ms INTEGER NOT NULL,
  revoked_ms INTEGER
);
CREATE UNIQUE INDEX facilitator_keys_active_name ON facilitator_keys(name) WHERE revoked_ms IS NULL;
)sql"},
};

// How often a failing store tries a small write to see if the disk is back.
constexpr auto probe_interval = std::chrono::seconds(1);

constexpr std::int64_t latest_version = migrations[std::size(migrations) - 1].version;
static_assert(latest_version == schema_version, "event_reader reads the latest schema");

// Errors that undo only the statement that raised them: the transaction goes
// on and only that write fails.
bool is_statement_error(int rc) {
  int primary = rc & 0xff;
  return primary == SQLITE_CONSTRAINT || primary == SQLITE_MISMATCH || primary == SQLITE_TOOBIG ||
         primary == SQLITE_RANGE;
}

// Resets a cached statement however the scope is left, so it never keeps
// bindings or a half-run state into the next write.
class reset_guard {
public:
  explicit reset_guard(sqlite::statement& statement) : statement_(statement) {}
  reset_guard(const reset_guard&) = delete;
  reset_guard& operator=(const reset_guard&) = delete;
  ~reset_guard() { statement_.reset(); }

private:
  sqlite::statement& statement_;
};

void configure_writer(sqlite::db& db, const std::filesystem::path& file) {
  std::string mode = db.query_text("PRAGMA journal_mode=WAL");
  if (mode != "wal")
    throw std::runtime_error("'" + file.string() + "' cannot use write-ahead logging (journal mode is " + mode + ")");
  db.exec("PRAGMA synchronous=FULL");
  db.exec("PRAGMA foreign_keys=ON");
  // Overwrite deleted content so a purged session does not linger in the file.
  db.exec("PRAGMA secure_delete=ON");
  // Give back disk space after a large batch has been checkpointed.
  db.exec("PRAGMA journal_size_limit=67108864");
}

void migrate(sqlite::db& db, const std::filesystem::path& file) {
  auto newer_message = [&](std::int64_t version) {
    return "'" + file.string() + "' has schema version " + std::to_string(version) +
           ", newer than this program knows (" + std::to_string(latest_version) +
           "): use a newer facilitator, or another database file";
  };
  for (const auto& step : migrations) {
    // Read the version inside the transaction so two processes opening a new
    // file at once do not both migrate it.
    sqlite::transaction transaction(db);
    std::int64_t current = db.query_int("PRAGMA user_version");
    if (current > latest_version) throw std::runtime_error(newer_message(current));
    if (current >= step.version) continue;
    db.exec(step.sql);
    db.exec("PRAGMA user_version=" + std::to_string(step.version));
    transaction.commit();
  }
}

}  // namespace

void create_schema(const std::filesystem::path& file) {
  auto db = sqlite::db::open(file, true, 5000);
  configure_writer(db, file);
  migrate(db, file);
}

struct event_store::purge_result {
  bool ok = false;
  std::string error;
  std::vector<std::string> codes;
};

struct event_store::write_statements {
  explicit write_statements(sqlite::db& db)
      : insert_session(db,
                       "INSERT INTO sessions(code, hmac_key, created_ms) "
                       "VALUES (?1, ?2, ?3)"),
        insert_code(db, "INSERT INTO used_codes(code) VALUES (?1)"),
        // The scalar subquery lets SQLite read the last seq straight off the
        // primary key instead of scanning the session's events.
        // ?3 = 0: the next seq; otherwise only if ?3 is the next seq.
        append(db,
               "INSERT INTO events(session, seq, payload) SELECT ?1, n, ?2 FROM "
               "(SELECT COALESCE((SELECT MAX(seq) FROM events WHERE session = ?1), 0) + 1 AS n) "
               "WHERE ?3 = 0 OR n = ?3"),
        mark_ended(db, "UPDATE sessions SET ended_ms = ?2, hmac_key = x'' WHERE code = ?1"),
        purge(db, "DELETE FROM sessions WHERE code = ?1"),
        purge_ended(db,
                    "DELETE FROM sessions WHERE ended_ms IS NOT NULL AND "
                    "ended_ms < ?1 RETURNING code") {}

  sqlite::statement insert_session;
  sqlite::statement insert_code;
  sqlite::statement append;
  sqlite::statement mark_ended;
  sqlite::statement purge;
  sqlite::statement purge_ended;
};

std::unique_ptr<event_store> event_store::open(const std::filesystem::path& file, store_options options) {
  if (options.max_batch == 0) throw std::invalid_argument("event store: max_batch must be at least 1");
  try {
    auto writer = sqlite::db::open(file, options.create, options.busy_timeout_ms);
    configure_writer(writer, file);
    migrate(writer, file);
    auto reader = sqlite::db::open(file, false, options.busy_timeout_ms);
    return std::unique_ptr<event_store>(new event_store(std::move(writer), std::move(reader), options));
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string("cannot open the event store: ") + e.what());
  }
}

event_store::event_store(sqlite::db writer, sqlite::db reader, store_options options)
    : options_(options),
      writer_db_(std::move(writer)),
      write_statements_(std::make_unique<write_statements>(writer_db_)),
      reader_(std::move(reader)) {
  // Started last: from here on only the writer thread touches writer_db_.
  writer_thread_ = std::thread([this] { writer_loop(); });
}

event_store::~event_store() {
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  // The writer drains the queue before it returns.
  writer_thread_.join();
}

void event_store::create_session(std::string code, std::string hmac_key, std::int64_t created_ms, completion done) {
  enqueue(op{op_kind::create_session, std::move(code), std::move(hmac_key), created_ms, std::move(done), nullptr});
}

void event_store::append(std::string code, std::string payload, completion done) {
  enqueue(op{op_kind::append, std::move(code), std::move(payload), 0, std::move(done), nullptr});
}

void event_store::append_at(std::string code, std::uint64_t seq, std::string payload, completion done) {
  enqueue(op{op_kind::append, std::move(code), std::move(payload), static_cast<std::int64_t>(seq), std::move(done),
             nullptr});
}

void event_store::mark_ended(std::string code, std::int64_t ended_ms, completion done) {
  enqueue(op{op_kind::mark_ended, std::move(code), {}, ended_ms, std::move(done), nullptr});
}

void event_store::flush() {
  if (std::this_thread::get_id() == writer_thread_.get_id())
    throw std::logic_error("event_store::flush called from a completion");
  std::unique_lock lock(queue_mutex_);
  std::uint64_t target = enqueued_;
  done_cv_.wait(lock, [&] { return finished_ >= target; });
}

bool event_store::purge(const std::string& code) {
  auto result = run_purge(op{op_kind::purge, code, {}, 0, nullptr, nullptr});
  return !result->codes.empty();
}

std::vector<std::string> event_store::purge_ended_before(std::int64_t ms) {
  auto result = run_purge(op{op_kind::purge_ended, {}, {}, ms, nullptr, nullptr});
  return std::move(result->codes);
}

store_stats event_store::stats() const {
  store_stats s;
  s.commits = commits_.load(std::memory_order_relaxed);
  s.failed_batches = failed_batches_.load(std::memory_order_relaxed);
  s.writes_committed = writes_committed_.load(std::memory_order_relaxed);
  s.writes_failed = writes_failed_.load(std::memory_order_relaxed);
  s.queued = queued_.load(std::memory_order_relaxed);
  s.failing = failing();
  s.last_batch = last_batch_.load(std::memory_order_relaxed);
  s.max_batch = max_batch_.load(std::memory_order_relaxed);
  s.commit_latency_us_sum = commit_latency_us_sum_.load(std::memory_order_relaxed);
  s.commit_latency_count = commit_latency_count_.load(std::memory_order_relaxed);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < batch_size_counts_.size(); ++i) {
    running += batch_size_counts_[i].load(std::memory_order_relaxed);
    s.batch_size_buckets[i] = running;
  }
  running = 0;
  for (std::size_t i = 0; i < commit_latency_counts_.size(); ++i) {
    running += commit_latency_counts_[i].load(std::memory_order_relaxed);
    s.commit_latency_buckets[i] = running;
  }
  return s;
}

std::uint64_t event_store::enqueue(op&& item) {
  std::uint64_t ticket = 0;
  {
    std::lock_guard lock(queue_mutex_);
    queue_.push_back(std::move(item));
    ticket = ++enqueued_;
    queued_.store(queue_.size(), std::memory_order_relaxed);
  }
  queue_cv_.notify_one();
  return ticket;
}

std::shared_ptr<event_store::purge_result> event_store::run_purge(op&& item) {
  if (std::this_thread::get_id() == writer_thread_.get_id())
    throw std::logic_error("event_store purge called from a completion");
  auto result = std::make_shared<purge_result>();
  item.purged = result;
  std::uint64_t ticket = enqueue(std::move(item));
  {
    // The writer fills result before it counts the purge as finished, under
    // this same mutex.
    std::unique_lock lock(queue_mutex_);
    done_cv_.wait(lock, [&] { return finished_ >= ticket; });
  }
  if (!result->ok) throw std::runtime_error("cannot purge: " + result->error);
  return result;
}

void event_store::writer_loop() {
  std::vector<op> batch;
  std::vector<char> results;
  for (;;) {
    {
      std::unique_lock lock(queue_mutex_);
      const auto ready = [&] { return stopping_ || !queue_.empty(); };
      // While failing, find out when writes work again even if no one writes: a load balancer keeps a
      // server whose /healthz says "not ready" out of rotation, so no write might come to clear it.
      if (!failing()) {
        queue_cv_.wait(lock, ready);
      } else if (!queue_cv_.wait_for(lock, probe_interval, ready)) {
        lock.unlock();
        probe();
        continue;
      }
      if (queue_.empty()) return;  // stopping, and everything queued is done
      std::size_t n = std::min(queue_.size(), options_.max_batch);
      auto end = queue_.begin() + static_cast<std::ptrdiff_t>(n);
      std::move(queue_.begin(), end, std::back_inserter(batch));
      queue_.erase(queue_.begin(), end);
      queued_.store(queue_.size(), std::memory_order_relaxed);
    }

    std::optional<std::string> error = write_batch(batch, results);
    bool purged_any = false;
    for (auto& item : batch) {
      if (item.purged == nullptr) continue;
      item.purged->ok = !error;
      if (error) item.purged->error = *error;
      purged_any = purged_any || (!error && !item.purged->codes.empty());
    }
    // A session that ended forgot its HMAC key: with secure_delete, the key's old bytes are zeroed in
    // the main file; the checkpoint empties the WAL, which still held them.
    bool ended_any = false;
    for (std::size_t i = 0; i < batch.size(); ++i)
      ended_any = ended_any || (batch[i].kind == op_kind::mark_ended && !error && results[i] != 0);
    // Before anyone learns of the purge or the end, move the deleted pages out of the WAL.
    if (purged_any || ended_any) checkpoint();

    std::uint64_t committed = 0;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].kind == op_kind::purge || batch[i].kind == op_kind::purge_ended) continue;
      bool ok = results[i] != 0;
      committed += ok ? 1 : 0;
      if (batch[i].done) batch[i].done(ok);
    }
    std::uint64_t writes = 0;
    for (const auto& item : batch) writes += item.purged == nullptr ? 1 : 0;
    writes_committed_.fetch_add(committed, std::memory_order_relaxed);
    writes_failed_.fetch_add(writes - committed, std::memory_order_relaxed);

    {
      std::lock_guard lock(queue_mutex_);
      finished_ += batch.size();
    }
    done_cv_.notify_all();
    batch.clear();
  }
}

std::optional<std::string> event_store::write_batch(std::vector<op>& batch, std::vector<char>& results) {
  results.assign(batch.size(), 0);
  auto start = std::chrono::steady_clock::now();
  try {
    sqlite::transaction transaction(writer_db_);
    for (std::size_t i = 0; i < batch.size(); ++i) results[i] = apply(batch[i]) ? 1 : 0;
    transaction.commit();
  } catch (const std::exception& e) {
    // The transaction's destructor rolled back: nothing of the batch is stored.
    results.assign(batch.size(), 0);
    failed_batches_.fetch_add(1, std::memory_order_relaxed);
    failing_.store(true, std::memory_order_relaxed);
    return std::string(e.what());
  }
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
  record_commit(batch.size(), static_cast<std::uint64_t>(micros));
  failing_.store(false, std::memory_order_relaxed);
  return std::nullopt;
}

void event_store::probe() {
  try {
    sqlite::transaction transaction(writer_db_);
    writer_db_.exec("PRAGMA user_version=" + std::to_string(latest_version));
    transaction.commit();
    failing_.store(false, std::memory_order_relaxed);
  } catch (const std::exception&) {
    // Still failing: the next probe is a second away.
  }
}

bool event_store::run_write(sqlite::statement& statement) {
  int rc = statement.try_step();
  if (rc == SQLITE_DONE) return true;
  // A refused write (constraint, unknown session) undoes only its statement,
  // as long as SQLite has not ended the transaction.
  if (is_statement_error(rc) && !writer_db_.autocommit()) return false;
  sqlite::check(rc, writer_db_.get(), "cannot write");
  return false;
}

bool event_store::apply(op& item) {
  auto& s = *write_statements_;
  switch (item.kind) {
    case op_kind::create_session: {
      // Two inserts: a savepoint makes the pair all or nothing.
      writer_db_.exec("SAVEPOINT create_session");
      bool ok = false;
      {
        reset_guard session_guard(s.insert_session);
        s.insert_session.bind_text(1, item.code);
        s.insert_session.bind_blob(2, item.data);
        s.insert_session.bind(3, item.ms);
        ok = run_write(s.insert_session);
      }
      if (ok) {
        reset_guard code_guard(s.insert_code);
        s.insert_code.bind_text(1, item.code);
        ok = run_write(s.insert_code);
      }
      if (!ok) writer_db_.exec("ROLLBACK TO create_session");
      writer_db_.exec("RELEASE create_session");
      return ok;
    }
    case op_kind::append: {
      reset_guard guard(s.append);
      s.append.bind_text(1, item.code);
      s.append.bind_text(2, item.data);
      s.append.bind(3, item.ms);  // the expected seq, or 0 for the next one
      return run_write(s.append) && writer_db_.changes() > 0;
    }
    case op_kind::mark_ended: {
      reset_guard guard(s.mark_ended);
      s.mark_ended.bind_text(1, item.code);
      s.mark_ended.bind(2, item.ms);
      return run_write(s.mark_ended) && writer_db_.changes() > 0;
    }
    case op_kind::purge: {
      reset_guard guard(s.purge);
      s.purge.bind_text(1, item.code);
      if (run_write(s.purge) && writer_db_.changes() > 0) item.purged->codes.push_back(item.code);
      return true;
    }
    case op_kind::purge_ended: {
      reset_guard guard(s.purge_ended);
      s.purge_ended.bind(1, item.ms);
      while (s.purge_ended.step()) item.purged->codes.push_back(s.purge_ended.column_text(0));
      return true;
    }
  }
  return false;
}

void event_store::checkpoint() {
  // With the readers held off, TRUNCATE can copy every frame into the main
  // file and empty the WAL. A failure only delays that to a later checkpoint.
  auto held = reader_.hold_off();
  sqlite3_wal_checkpoint_v2(writer_db_.get(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
}

void event_store::record_commit(std::size_t batch_size, std::uint64_t micros) {
  commits_.fetch_add(1, std::memory_order_relaxed);
  last_batch_.store(batch_size, std::memory_order_relaxed);
  std::uint64_t seen = max_batch_.load(std::memory_order_relaxed);
  while (seen < batch_size && !max_batch_.compare_exchange_weak(seen, batch_size, std::memory_order_relaxed)) {
  }
  std::size_t bucket = 0;
  while (bucket < batch_size_bounds.size() && batch_size > batch_size_bounds[bucket]) ++bucket;
  batch_size_counts_[bucket].fetch_add(1, std::memory_order_relaxed);

  commit_latency_us_sum_.fetch_add(micros, std::memory_order_relaxed);
  commit_latency_count_.fetch_add(1, std::memory_order_relaxed);
  double ms = static_cast<double>(micros) / 1000.0;
  bucket = 0;
  while (bucket < commit_latency_bounds_ms.size() && ms > commit_latency_bounds_ms[bucket]) ++bucket;
  commit_latency_counts_[bucket].fetch_add(1, std::memory_order_relaxed);
}

}  // namespace roundtable::store
