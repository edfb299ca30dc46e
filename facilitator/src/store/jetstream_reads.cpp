// The JetStream store's reads (a session's events in order, the sessions in the bucket), purges and statistics.
#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "store/jetstream_store.hpp"

namespace roundtable::store {

namespace {

using nlohmann::json;

// How long a read waits before trying again after NATS failed it.
constexpr auto read_pause = std::chrono::milliseconds(100);

std::string unhex(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return out;
}

}  // namespace

std::vector<std::string> jetstream_store::unpack(natsMsg* msg) {
  const auto j = json::parse(natsMsg_GetData(msg), natsMsg_GetData(msg) + natsMsg_GetDataLength(msg), nullptr, false);
  if (!j.is_array()) throw std::runtime_error("a stored message is not an array of events");
  std::vector<std::string> out;
  for (const auto& e : j) {
    if (!e.is_string()) throw std::runtime_error("a stored message holds an event that is not text");
    out.push_back(e.get<std::string>());
  }
  return out;
}

std::vector<std::string> jetstream_store::events(const std::string& code) {
  // While a stream elects a new leader, or the client reconnects, reads fail for a few seconds.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.write_deadline_ms);
  for (;;) {
    try {
      return read_events(code);
    } catch (const nats::error&) {
      if (std::chrono::steady_clock::now() + read_pause >= deadline) throw;
      std::this_thread::sleep_for(read_pause);
    }
  }
}

std::vector<std::string> jetstream_store::read_events(const std::string& code) {
  const auto last_held = last_message(code);
  if (!last_held) return {};
  const std::uint64_t last = natsMsg_GetSequence(last_held.get());
  jsErrCode jerr = static_cast<jsErrCode>(0);

  // An ordered consumer: the stream's messages on this subject, in order, from the first.
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = options_.stream.c_str();
  so.Ordered = true;
  natsSubscription* sub_raw = nullptr;
  nats::check(js_SubscribeSync(&sub_raw, js_.get(), subject(code).c_str(), nullptr, &so, &jerr),
              "reading the events of session " + code, jerr);
  nats::handle<natsSubscription> sub(sub_raw);
  std::vector<std::string> out;
  for (std::uint64_t at = 0; at < last;) {
    natsMsg* m_raw = nullptr;
    nats::check(natsSubscription_NextMsg(&m_raw, sub.get(), options_.attempt_timeout_ms),
                "reading the events of session " + code);
    nats::handle<natsMsg> m(m_raw);
    jsMsgMetaData* meta_raw = nullptr;
    nats::check(natsMsg_GetMetaData(&meta_raw, m.get()), "an event's metadata");
    at = nats::handle<jsMsgMetaData>(meta_raw)->Sequence.Stream;
    const char* first = nullptr;
    auto payloads = unpack(m.get());
    const std::uint64_t from = natsMsgHeader_Get(m.get(), first_seq_header, &first) == NATS_OK ? std::stoull(first) : 0;
    // A second message for slots already filled (a server that let two writers through, nats-server#4320,
    // outside the Msg-Id window) is skipped: the first one stored is the one its writer was told.
    if (from != 0 && from + payloads.size() <= out.size() + 1) continue;
    if (from != out.size() + 1)
      throw std::runtime_error("stream message " + std::to_string(at) + " does not continue the log at event " +
                               std::to_string(out.size() + 1));
    for (auto& p : payloads) out.push_back(std::move(p));
  }
  natsSubscription_Unsubscribe(sub.get());
  return out;
}

std::vector<session_row> jetstream_store::sessions() {
  kvKeysList keys;
  const natsStatus s = kvStore_Keys(&keys, kv_.get(), nullptr);
  if (s == NATS_NOT_FOUND) return {};
  nats::check(s, "the sessions in bucket " + options_.bucket);
  std::vector<std::string> codes(keys.Keys, keys.Keys + keys.Count);
  kvKeysList_Destroy(&keys);
  std::vector<session_row> rows;
  for (const auto& code : codes)
    if (auto row = session(code)) rows.push_back(std::move(*row));
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.created_ms < b.created_ms; });
  return rows;
}

std::optional<session_row> jetstream_store::session(const std::string& code) {
  const auto text = record(code);
  if (!text) return std::nullopt;
  const auto rec = json::parse(*text);
  if (rec.value("purged", false)) return std::nullopt;
  session_row row{code, unhex(rec.value("key", "")), rec.value("created_ms", std::int64_t{0}), std::nullopt};
  if (rec.contains("ended_ms") && rec["ended_ms"].is_number()) row.ended_ms = rec["ended_ms"].get<std::int64_t>();
  return row;
}

bool jetstream_store::code_used(const std::string& code) {
  return record(code).has_value();
}

bool jetstream_store::purge(const std::string& code) {
  flush();
  const auto text = record(code);
  if (!text) return false;
  auto rec = json::parse(*text);
  if (rec.value("purged", false)) return false;
  jsOptions o;
  jsOptions_Init(&o);
  const auto subj = subject(code);
  o.Stream.Purge.Subject = subj.c_str();
  jsErrCode jerr = static_cast<jsErrCode>(0);
  nats::check(js_PurgeStream(js_.get(), options_.stream.c_str(), &o, &jerr), "purging session " + code, jerr);
  // The record stays, so the code is never given again; the key goes.
  rec["purged"] = true;
  rec["key"] = "";
  std::uint64_t rev = 0;
  nats::check(kvStore_PutString(&rev, kv_.get(), code.c_str(), rec.dump().c_str()), "purging session " + code);
  // Said at most once (core NATS): a server that misses it finds the purge at its next sweep.
  if (natsConnection_PublishString(nc_.get(), purged_subject, code.c_str()) == NATS_OK)
    natsConnection_FlushTimeout(nc_.get(), 1000);
  return true;
}

std::vector<std::string> jetstream_store::purge_ended_before(std::int64_t ms) {
  std::vector<std::string> purged;
  for (const auto& row : sessions())
    if (row.ended_ms && *row.ended_ms < ms && purge(row.code)) purged.push_back(row.code);
  return purged;
}

store_stats jetstream_store::stats() const {
  store_stats s;
  s.commits = commits_.load(std::memory_order_relaxed);
  s.failed_batches = failed_batches_.load(std::memory_order_relaxed);
  s.writes_committed = writes_committed_.load(std::memory_order_relaxed);
  s.writes_failed = writes_failed_.load(std::memory_order_relaxed);
  s.queued = queued_.load(std::memory_order_relaxed);
  s.last_batch = last_batch_.load(std::memory_order_relaxed);
  s.max_batch = max_batch_.load(std::memory_order_relaxed);
  // Failing while the last publish got no answer and the connection is still down: once it is back (the
  // client reconnects by itself), a write may work again, and /healthz says so before anyone writes.
  s.failing = unreachable_.load(std::memory_order_relaxed) && !connected();
  return s;
}

}  // namespace roundtable::store
