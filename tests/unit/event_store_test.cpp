#include "store/event_store.hpp"

#include "crypto.hpp"
#include "store/sqlite.hpp"

#include <gtest/gtest.h>

#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using roundtable::store::event_store;
namespace sqlite = roundtable::store::sqlite;

namespace {

// A fresh folder under the system temp dir per test, removed afterwards.
class EventStoreTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("roundtable-store-test-" + std::to_string(::getpid()) + "-" + roundtable::crypto::random_token(8));
    fs::create_directories(dir_);
    file_ = dir_ / "store.db";
  }

  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  fs::path wal() const { return fs::path(file_.string() + "-wal"); }

  fs::path dir_;
  fs::path file_;
};

// Waits for the writer and returns the results of the completions made by
// callback(), in the order they ran.
class results {
public:
  roundtable::store::completion callback() {
    return [this](bool ok) {
      std::lock_guard lock(mutex_);
      values_.push_back(ok);
    };
  }
  std::vector<bool> take() {
    std::lock_guard lock(mutex_);
    return std::exchange(values_, {});
  }

private:
  std::mutex mutex_;
  std::vector<bool> values_;
};

std::string read_all(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string integrity(const fs::path& file) {
  auto db = sqlite::db::open(file, false, 5000);
  return db.query_text("PRAGMA integrity_check");
}

std::vector<std::int64_t> seqs(const fs::path& file, const std::string& code) {
  auto db = sqlite::db::open(file, false, 5000);
  sqlite::statement query(db, "SELECT seq FROM events WHERE session = ?1 ORDER BY seq");
  query.bind_text(1, code);
  std::vector<std::int64_t> out;
  while (query.step()) out.push_back(query.column_int(0));
  return out;
}

std::string numbered_payload(std::uint64_t i) {
  return R"({"type":"ballot","i":)" + std::to_string(i) + "}";
}

TEST_F(EventStoreTest, CreatesSchemaAndSetsUserVersion) {
  { auto store = event_store::open(file_); }
  auto db = sqlite::db::open(file_, false, 5000);
  EXPECT_EQ(db.query_int("PRAGMA user_version"), roundtable::store::schema_version);
  EXPECT_EQ(db.query_text("PRAGMA journal_mode"), "wal");
  sqlite::statement tables(db,
                           "SELECT name FROM sqlite_master WHERE type = 'table' "
                           "ORDER BY name");
  std::vector<std::string> names;
  while (tables.step()) names.push_back(tables.column_text(0));
  EXPECT_EQ(names,
            (std::vector<std::string>{"events", "facilitator_keys", "saved_scenarios", "sessions", "used_codes"}));
  sqlite::statement fk(db, "SELECT \"table\", on_delete FROM pragma_foreign_key_list('events')");
  ASSERT_TRUE(fk.step());
  EXPECT_EQ(fk.column_text(0), "sessions");
  EXPECT_EQ(fk.column_text(1), "CASCADE");
}

TEST_F(EventStoreTest, ReopenKeepsDataAndMigratesOnce) {
  const std::string key("k\0e\xffy", 5);  // raw bytes, NUL included
  results r;
  {
    auto store = event_store::open(file_);
    store->create_session("123456", key, 1000, r.callback());
    store->create_session("654321", "other key", 2000, r.callback());
    store->append("123456", R"({"type":"started"})", r.callback());
    store->append("123456", R"({"type":"ended"})", r.callback());
    store->mark_ended("654321", 5000, r.callback());
  }  // the destructor flushes
  EXPECT_EQ(r.take(), std::vector<bool>(5, true));

  auto store = event_store::open(file_);
  auto sessions = store->sessions();
  ASSERT_EQ(sessions.size(), 2u);
  EXPECT_EQ(sessions[0].code, "123456");
  EXPECT_EQ(sessions[0].hmac_key, key);
  EXPECT_EQ(sessions[0].created_ms, 1000);
  EXPECT_FALSE(sessions[0].ended_ms.has_value());
  EXPECT_EQ(sessions[1].code, "654321");
  EXPECT_EQ(sessions[1].hmac_key, "") << "an ended session's key is forgotten";
  EXPECT_EQ(sessions[1].ended_ms, 5000);
  EXPECT_EQ(store->events("123456"), (std::vector<std::string>{R"({"type":"started"})", R"({"type":"ended"})"}));
  // Appends after a reopen carry on from the stored seq.
  store->append("123456", "third", r.callback());
  store->flush();
  EXPECT_EQ(r.take(), std::vector<bool>{true});
  EXPECT_EQ(seqs(file_, "123456"), (std::vector<std::int64_t>{1, 2, 3}));
}

TEST_F(EventStoreTest, RefusesANewerSchemaVersion) {
  {
    auto db = sqlite::db::open(file_, true, 5000);
    db.exec("PRAGMA user_version=99");
  }
  try {
    auto store = event_store::open(file_);
    FAIL() << "opened a store of schema version 99";
  } catch (const std::runtime_error& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("schema version 99"), std::string::npos) << message;
    EXPECT_NE(message.find("newer than this program knows (3)"), std::string::npos) << message;
    EXPECT_NE(message.find(file_.string()), std::string::npos) << message;
  }
  // The file was left as it was.
  auto db = sqlite::db::open(file_, false, 5000);
  EXPECT_EQ(db.query_int("PRAGMA user_version"), 99);
}

TEST_F(EventStoreTest, RefusesAFileThatIsNotADatabase) {
  std::ofstream(file_) << "this is not a database, just some text that is long enough "
                          "to fill the first hundred bytes of the file header........";
  try {
    auto store = event_store::open(file_);
    FAIL() << "opened a text file";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("not a database"), std::string::npos) << e.what();
  }
}

TEST_F(EventStoreTest, RefusesAMissingFolder) {
  try {
    auto store = event_store::open(dir_ / "missing" / "store.db");
    FAIL() << "opened a file in a missing folder";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("unable to open"), std::string::npos) << e.what();
  }
}

TEST_F(EventStoreTest, EventsComeBackInSeqOrder) {
  auto store = event_store::open(file_);
  results r;
  store->create_session("111111", "key", 1, r.callback());
  store->create_session("222222", "key", 2, r.callback());
  std::vector<std::string> expected;
  for (int i = 0; i < 300; ++i) {
    // Payloads whose text order differs from their seq order.
    std::string payload = std::to_string(1000 - i * 3);
    store->append("111111", payload, r.callback());
    store->append("222222", "other", r.callback());
    expected.push_back(payload);
  }
  store->flush();
  EXPECT_EQ(store->events("111111"), expected);
  EXPECT_EQ(store->events("222222").size(), 300u);
  EXPECT_TRUE(store->events("999999").empty());
  auto s = seqs(file_, "111111");
  ASSERT_EQ(s.size(), 300u);
  for (std::size_t i = 0; i < s.size(); ++i) EXPECT_EQ(s[i], static_cast<std::int64_t>(i + 1));
}

TEST_F(EventStoreTest, ConcurrentAppendsAllCommitWithDenseSeq) {
  auto store = event_store::open(file_);
  const std::vector<std::string> codes{"100001", "100002", "100003", "100004"};
  for (const auto& code : codes) store->create_session(code, "key", 0, nullptr);
  store->flush();

  const int threads = 8;
  const int per_session = 500;
  std::atomic<int> committed{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < per_session; ++i)
        for (const auto& code : codes)
          store->append(code, std::to_string(t) + ":" + std::to_string(i),
                        [&](bool ok) { (ok ? committed : failed).fetch_add(1); });
    });
  }
  for (auto& worker : workers) worker.join();
  store->flush();

  EXPECT_EQ(committed.load(), threads * per_session * static_cast<int>(codes.size()));
  EXPECT_EQ(failed.load(), 0);
  for (const auto& code : codes) {
    auto events = store->events(code);
    ASSERT_EQ(events.size(), static_cast<std::size_t>(threads * per_session));
    // Each thread's writes are stored in the order it queued them.
    std::map<int, int> next;
    for (const auto& payload : events) {
      auto colon = payload.find(':');
      int t = std::stoi(payload.substr(0, colon));
      int i = std::stoi(payload.substr(colon + 1));
      EXPECT_EQ(i, next[t]) << "thread " << t << " in " << code;
      next[t] = i + 1;
    }
    auto s = seqs(file_, code);
    for (std::size_t i = 0; i < s.size(); ++i) ASSERT_EQ(s[i], static_cast<std::int64_t>(i + 1));
  }
  EXPECT_EQ(integrity(file_), "ok");
}

TEST_F(EventStoreTest, GroupCommitBatchesWrites) {
  auto store = event_store::open(file_);
  store->create_session("424242", "key", 0, nullptr);
  store->flush();
  auto before = store->stats();

  const int n = 10000;
  std::atomic<int> committed{0};
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i)
    store->append("424242", numbered_payload(static_cast<std::uint64_t>(i)),
                  [&](bool ok) { committed.fetch_add(ok ? 1 : 0); });
  store->flush();
  auto elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  auto after = store->stats();
  auto commits = after.commits - before.commits;

  EXPECT_EQ(committed.load(), n);
  EXPECT_EQ(after.writes_committed - before.writes_committed, static_cast<std::uint64_t>(n));
  EXPECT_LT(commits, 1000u) << "group commit did not batch";
  EXPECT_GT(after.max_batch, 10u);
  EXPECT_LE(after.max_batch, 4096u);
  EXPECT_EQ(store->events("424242").size(), static_cast<std::size_t>(n));
  std::cout << "[ measure  ] " << n << " appends queued at once: " << commits << " commits, max batch "
            << after.max_batch << ", " << elapsed << " ms until all were durable\n";

  // One write per commit, waiting for each: the cost of a single fsync'd commit.
  const int sequential = 200;
  before = store->stats();
  start = std::chrono::steady_clock::now();
  for (int i = 0; i < sequential; ++i) {
    store->append("424242", "sequential", nullptr);
    store->flush();
  }
  elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  after = store->stats();
  EXPECT_EQ(after.commits - before.commits, static_cast<std::uint64_t>(sequential));
  std::cout << "[ measure  ] " << sequential << " appends each awaited: " << elapsed / sequential
            << " ms per durable commit\n";
}

TEST_F(EventStoreTest, CompletionsRunInQueueOrder) {
  auto store = event_store::open(file_);
  std::vector<int> order;  // only touched by the writer thread until flush()
  auto record = [&](int i) { return [&order, i](bool) { order.push_back(i); }; };
  int next = 0;
  store->create_session("313131", "key", 0, record(next++));
  for (int i = 0; i < 2000; ++i) {
    store->append("313131", "e", record(next++));
    if (i % 500 == 0) store->append("000000", "unknown session", record(next++));
  }
  store->mark_ended("313131", 9, record(next++));
  store->flush();
  ASSERT_EQ(order.size(), static_cast<std::size_t>(next));
  for (int i = 0; i < next; ++i) ASSERT_EQ(order[static_cast<std::size_t>(i)], i);
}

TEST_F(EventStoreTest, AppendAtStoresOnlyTheExpectedNextSeqSoTheLogStaysAPrefix) {
  auto store = event_store::open(file_);
  results r;
  store->create_session("515151", "key", 0, r.callback());
  store->append_at("515151", 1, "one", r.callback());
  store->append_at("515151", 2, "two", r.callback());
  store->flush();
  EXPECT_EQ(r.take(), (std::vector<bool>{true, true, true}));

  // A write that expected seq 3 was lost (say, a full disk): what was decided after it, queued
  // as seq 4 and 5, must not land behind a hole. The caller's next write at 3 does.
  store->append_at("515151", 4, "four", r.callback());
  store->append_at("515151", 5, "five", r.callback());
  store->append_at("515151", 2, "two again", r.callback());  // an old seq: refused too
  store->append_at("515151", 3, "three", r.callback());
  store->flush();
  EXPECT_EQ(r.take(), (std::vector<bool>{false, false, false, true}));
  EXPECT_EQ(store->events("515151"), (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_EQ(seqs(file_, "515151"), (std::vector<std::int64_t>{1, 2, 3}));
  // The refused writes failed alone: nothing else of their batch was rolled back.
  EXPECT_EQ(store->stats().failed_batches, 0u);
  store->append_at("000001", 1, "unknown session", r.callback());
  store->flush();
  EXPECT_EQ(r.take(), std::vector<bool>{false});
}

TEST_F(EventStoreTest, RefusedWriteFailsAloneAndLaterWritesCommit) {
  auto store = event_store::open(file_);
  results r;
  store->create_session("777777", "key", 0, r.callback());
  store->flush();
  EXPECT_EQ(r.take(), std::vector<bool>{true});

  // Queued together, so very likely in one batch: only the bad ones fail.
  store->append("999999", "no such session", r.callback());
  store->append("777777", "a", r.callback());
  store->mark_ended("999998", 5, r.callback());
  store->append("777777", "b", r.callback());
  store->flush();
  EXPECT_EQ(r.take(), (std::vector<bool>{false, true, false, true}));

  store->append("777777", "c", r.callback());
  store->flush();
  EXPECT_EQ(r.take(), std::vector<bool>{true});
  EXPECT_EQ(store->events("777777"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(store->events("999999").empty());
  EXPECT_EQ(seqs(file_, "777777"), (std::vector<std::int64_t>{1, 2, 3}));
  auto stats = store->stats();
  EXPECT_EQ(stats.failed_batches, 0u);
  EXPECT_EQ(stats.writes_failed, 2u);
}

TEST_F(EventStoreTest, CodesAreNeverReused) {
  auto store = event_store::open(file_);
  results r;
  EXPECT_FALSE(store->code_used("505050"));
  store->create_session("505050", "key", 0, r.callback());
  store->create_session("505050", "other key", 1, r.callback());
  store->flush();
  EXPECT_EQ(r.take(), (std::vector<bool>{true, false}));
  EXPECT_TRUE(store->code_used("505050"));

  EXPECT_TRUE(store->purge("505050"));
  EXPECT_FALSE(store->purge("505050"));
  EXPECT_TRUE(store->code_used("505050"));
  store->create_session("505050", "key", 2, r.callback());
  store->flush();
  EXPECT_EQ(r.take(), std::vector<bool>{false});
  EXPECT_TRUE(store->sessions().empty());
}

TEST_F(EventStoreTest, PurgeRemovesEventsAndTheirBytes) {
  const std::string marker = "PURGE-MARKER-" + roundtable::crypto::random_token(24);
  {
    auto store = event_store::open(file_);
    results r;
    store->create_session("868686", "key", 0, r.callback());
    store->create_session("121212", "key", 0, r.callback());
    store->append("868686", R"({"text":")" + marker + R"("})", r.callback());
    // Large enough to spill into overflow pages.
    store->append("868686", std::string(20000, 'x') + marker + std::string(20000, 'y'), r.callback());
    for (int i = 0; i < 50; ++i) store->append("121212", "kept " + std::to_string(i), r.callback());
    store->flush();
    auto written = r.take();
    EXPECT_EQ(std::count(written.begin(), written.end(), true), 54);
    // The check below would prove nothing if the marker were never on disk.
    ASSERT_NE((read_all(file_) + read_all(wal())).find(marker), std::string::npos);

    EXPECT_TRUE(store->purge("868686"));
    EXPECT_TRUE(store->events("868686").empty());
    auto sessions = store->sessions();
    ASSERT_EQ(sessions.size(), 1u);
    EXPECT_EQ(sessions[0].code, "121212");
    EXPECT_EQ(store->events("121212").size(), 50u);
    EXPECT_TRUE(store->code_used("868686"));
    EXPECT_EQ((read_all(file_) + read_all(wal())).find(marker), std::string::npos);
  }
  EXPECT_EQ((read_all(file_) + read_all(wal())).find(marker), std::string::npos);
  EXPECT_EQ(integrity(file_), "ok");
}

TEST_F(EventStoreTest, EndingASessionForgetsItsHmacKeyInTheFileAndTheWal) {
  const std::string key = "HMAC-KEY-" + roundtable::crypto::random_token(24);
  const std::string other = "OTHER-KEY-" + roundtable::crypto::random_token(24);
  auto store = event_store::open(file_);
  results r;
  store->create_session("424242", key, 0, r.callback());
  store->create_session("515151", other, 0, r.callback());
  store->append("424242", "event", r.callback());
  store->flush();
  // The check below would prove nothing if the key were never on disk.
  ASSERT_NE((read_all(file_) + read_all(wal())).find(key), std::string::npos);

  store->mark_ended("424242", 1000, r.callback());
  store->flush();
  EXPECT_EQ(r.take(), (std::vector<bool>{true, true, true, true}));
  for (const auto& row : store->sessions()) {
    if (row.code == "424242") {
      EXPECT_TRUE(row.hmac_key.empty());
    }
    if (row.code == "515151") {
      EXPECT_EQ(row.hmac_key, other);
    }
  }
  const auto bytes = read_all(file_) + read_all(wal());
  // The other session's key is still there; this one's is gone from both files.
  EXPECT_NE(bytes.find(other), std::string::npos);
  EXPECT_EQ(bytes.find(key), std::string::npos);
  EXPECT_EQ(store->events("424242"), std::vector<std::string>{"event"});
}

TEST_F(EventStoreTest, PurgeEndedBeforePurgesOnlySessionsEndedEarlier) {
  auto store = event_store::open(file_);
  store->create_session("100100", "key", 10, nullptr);
  store->create_session("200200", "key", 20, nullptr);
  store->create_session("300300", "key", 30, nullptr);
  store->append("100100", "a", nullptr);
  store->append("200200", "b", nullptr);
  store->append("300300", "c", nullptr);
  store->mark_ended("100100", 100, nullptr);
  store->mark_ended("200200", 200, nullptr);
  // Queued, not flushed: the purge is ordered after these writes.
  EXPECT_EQ(store->purge_ended_before(150), std::vector<std::string>{"100100"});
  EXPECT_TRUE(store->events("100100").empty());
  EXPECT_EQ(store->events("200200"), std::vector<std::string>{"b"});
  EXPECT_TRUE(store->purge_ended_before(200).empty());
  EXPECT_EQ(store->purge_ended_before(1000), std::vector<std::string>{"200200"});
  auto sessions = store->sessions();
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0].code, "300300");
  EXPECT_TRUE(store->code_used("100100"));
  EXPECT_TRUE(store->code_used("200200"));
  EXPECT_FALSE(store->purge("424242"));
}

TEST_F(EventStoreTest, StatsAreConsistent) {
  auto store = event_store::open(file_);
  store->create_session("616161", "key", 0, nullptr);
  for (int i = 0; i < 100; ++i) store->append("616161", "e", nullptr);
  store->append("000000", "unknown", nullptr);
  store->flush();
  auto s = store->stats();
  EXPECT_EQ(s.writes_committed, 101u);
  EXPECT_EQ(s.writes_failed, 1u);
  EXPECT_EQ(s.queued, 0u);
  EXPECT_GE(s.commits, 1u);
  EXPECT_EQ(s.commit_latency_count, s.commits);
  EXPECT_EQ(s.commit_latency_buckets.back(), s.commits);
  EXPECT_EQ(s.batch_size_buckets.back(), s.commits);
  EXPECT_TRUE(std::is_sorted(s.commit_latency_buckets.begin(), s.commit_latency_buckets.end()));
  EXPECT_TRUE(std::is_sorted(s.batch_size_buckets.begin(), s.batch_size_buckets.end()));
  EXPECT_GE(s.max_batch, s.last_batch);
  EXPECT_GT(s.commit_latency_us_sum, 0u);
}

// Child side of the failing-disk test; the exit status says what went wrong.
int failing_disk_child(const fs::path& file) {
  ::signal(SIGXFSZ, SIG_IGN);
  auto store = event_store::open(file);
  std::atomic<int> last{-1};
  auto record = [&](bool ok) { last = ok ? 1 : 0; };
  store->create_session("404040", "key", 0, record);
  store->flush();
  if (last != 1) return 10;

  rlimit original{};
  if (::getrlimit(RLIMIT_FSIZE, &original) != 0) return 11;
  std::uintmax_t biggest = fs::file_size(file);
  std::error_code ignored;
  auto wal_size = fs::file_size(fs::path(file.string() + "-wal"), ignored);
  if (!ignored) biggest = std::max(biggest, wal_size);
  rlimit tight = original;
  tight.rlim_cur = static_cast<rlim_t>(biggest + 128 * 1024);
  if (::setrlimit(RLIMIT_FSIZE, &tight) != 0) return 12;

  int committed = 0;
  bool failed = false;
  for (int i = 0; i < 2000 && !failed; ++i) {
    store->append("404040", std::to_string(i) + std::string(64 * 1024, 'p'), record);
    store->flush();
    if (last == 1)
      ++committed;
    else
      failed = true;
  }
  if (!failed) return 13;
  if (store->stats().failed_batches < 1) return 14;

  if (::setrlimit(RLIMIT_FSIZE, &original) != 0) return 15;
  store->append("404040", "after the disk recovered", record);
  store->flush();
  if (last != 1) return 16;
  store.reset();

  store = event_store::open(file);
  auto events = store->events("404040");
  if (events.size() != static_cast<std::size_t>(committed + 1)) return 17;
  if (events.back() != "after the disk recovered") return 18;
  store.reset();
  if (integrity(file) != "ok") return 19;
  return 0;
}

TEST_F(EventStoreTest, FailingDiskFailsTheBatchAndTheWriterRecovers) {
  pid_t child = ::fork();
  ASSERT_NE(child, -1) << std::strerror(errno);
  if (child == 0) {
    int status = 20;
    try {
      status = failing_disk_child(file_);
    } catch (const std::exception& e) {
      std::cerr << "child: " << e.what() << "\n";
      status = 21;
    }
    ::_exit(status);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << "child died by signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "see failing_disk_child for the step";
}

TEST_F(EventStoreTest, EveryWriteReportedCommittedSurvivesSigkill) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t child = ::fork();
  ASSERT_NE(child, -1) << std::strerror(errno);
  if (child == 0) {
    ::close(fds[0]);
    try {
      auto store = event_store::open(file_);
      store->create_session("989898", "key", 0, nullptr);
      store->flush();
      int out = fds[1];
      for (std::uint64_t i = 0;; ++i) {
        store->append("989898", numbered_payload(i), [out, i](bool ok) {
          if (!ok) ::_exit(30);
          // Reported only after the batch holding write i committed.
          if (::write(out, &i, sizeof i) != sizeof i) ::_exit(31);
        });
        // Keep writes in flight (no flush) but the queue bounded, so the kill
        // lands while a batch is being written.
        while (store->stats().queued > 2000) std::this_thread::sleep_for(std::chrono::microseconds(100));
      }
    } catch (...) {
      ::_exit(32);
    }
  }
  ::close(fds[1]);

  // Read acks until enough arrived, then kill the child mid-stream.
  std::uint64_t acked = 0;
  bool any = false;
  std::string pending;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  bool killed = false;
  for (;;) {
    if (!killed && (acked >= 5000 || std::chrono::steady_clock::now() > deadline)) {
      ::kill(child, SIGKILL);
      killed = true;
    }
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, 1000) <= 0) continue;
    char buffer[4096];
    ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n <= 0) break;  // EOF: the child is gone and every ack it sent has been read
    pending.append(buffer, static_cast<std::size_t>(n));
    while (pending.size() >= sizeof(std::uint64_t)) {
      std::uint64_t value = 0;
      std::memcpy(&value, pending.data(), sizeof value);
      pending.erase(0, sizeof value);
      EXPECT_EQ(value, any ? acked + 1 : 0u) << "acks out of order";
      acked = value;
      any = true;
    }
  }
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "child exited early with " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  ASSERT_TRUE(any);

  auto store = event_store::open(file_);
  auto events = store->events("989898");
  std::cout << "[ measure  ] killed after " << acked + 1 << " acked appends; " << events.size() << " found on reopen\n";
  ASSERT_GE(events.size(), acked + 1);
  for (std::size_t i = 0; i < events.size(); ++i) ASSERT_EQ(events[i], numbered_payload(i));
  store.reset();
  EXPECT_EQ(integrity(file_), "ok");
}

}  // namespace
