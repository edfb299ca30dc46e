// The JetStream store's writer thread: one message per run of a session's events, stored only on its PubAck.
#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "store/jetstream_store.hpp"

namespace roundtable::store {

namespace {

using nlohmann::json;
using clock = std::chrono::steady_clock;

// How long a resend waits after a publish that got no answer (no responders: a stream between leaders).
constexpr auto resend_pause = std::chrono::milliseconds(50);

std::string hex(const std::string& bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 0xf];
  }
  return out;
}

bool no_message(natsStatus s, jsErrCode jerr) {
  return s == NATS_NOT_FOUND || jerr == JSNoMessageFoundErr;
}

}  // namespace

void jetstream_store::write_appends(std::vector<op>& batch, std::size_t from, std::size_t to) {
  const std::string& code = batch[from].code;
  auto report = [&](std::size_t a, std::size_t b, bool ok) {
    // Another server may have written meanwhile: what was decided behind a failed write must not land on its events.
    if (!ok && a < b) halted_.insert(code);
    for (std::size_t k = a; k < b; ++k) {
      (ok ? writes_committed_ : writes_failed_).fetch_add(1, std::memory_order_relaxed);
      batch[k].done(ok);
    }
  };
  if (halted_.count(code)) return report(from, to, false);
  std::optional<tip> t;
  try {
    t = tip_of(code);
    // The cached tip is stale when another server wrote since: read it again before refusing.
    if (t && batch[from].seq != 0 && batch[from].seq != t->events + 1) {
      tips_.erase(code);
      t = tip_of(code);
    }
  } catch (const std::exception&) {
    unreachable_ = true;
    failed_batches_.fetch_add(1, std::memory_order_relaxed);
    return report(from, to, false);
  }
  if (!t) return report(from, to, false);  // no such session
  // Only the writes that continue the log go out; the first that does not, and all behind it, fail.
  std::size_t end = from;
  for (std::uint64_t next = t->events + 1; end < to && (batch[end].seq == 0 || batch[end].seq == next); ++next) ++end;
  if (end == from) return report(from, to, false);

  json payloads = json::array();
  for (std::size_t k = from; k < end; ++k) payloads.push_back(batch[k].data);
  const std::string body = payloads.dump();
  const std::string first = std::to_string(t->events + 1);
  natsMsg* raw = nullptr;
  nats::check(natsMsg_Create(&raw, subject(code).c_str(), nullptr, body.data(), static_cast<int>(body.size())),
              "message");
  nats::handle<natsMsg> msg(raw);
  // The Nats-Msg-Id names the slot (the session's event `first`), so JetStream stores one message per slot
  // however many writers race for it: with three replicas, nats-server 2.9.10 lets concurrent publishes
  // with the same expected last sequence all through (nats-server#4320), but never two with one Msg-Id.
  // The writer header tells whose message holds the slot when the PubAck says duplicate.
  const auto slot = code + "." + first;
  const auto mine = writer_id_ + "." + std::to_string(++messages_);
  natsMsgHeader_Set(msg.get(), "Nats-Msg-Id", slot.c_str());
  natsMsgHeader_Set(msg.get(), "Nats-Expected-Last-Subject-Sequence", std::to_string(t->stream_seq).c_str());
  natsMsgHeader_Set(msg.get(), first_seq_header, first.c_str());
  natsMsgHeader_Set(msg.get(), writer_header, mine.c_str());

  std::uint64_t stream_seq = 0;
  const auto outcome = publish(msg.get(), mine, stream_seq);
  unreachable_ = outcome == published::uncertain;
  if (outcome == published::stored) {
    tips_[code] = {t->events + (end - from), stream_seq};
    commits_.fetch_add(1, std::memory_order_relaxed);
    report(from, end, true);
    return report(end, to, false);
  }
  // Refused (another writer got there first) or unknown (no PubAck by the deadline): read the tip again next time.
  tips_.erase(code);
  failed_batches_.fetch_add(1, std::memory_order_relaxed);
  report(from, to, false);
}

jetstream_store::published jetstream_store::publish(natsMsg* msg, const std::string& mine, std::uint64_t& stream_seq) {
  const auto deadline = clock::now() + std::chrono::milliseconds(options_.write_deadline_ms);
  for (;;) {
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = options_.attempt_timeout_ms;
    jsPubAck* raw = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    const natsStatus s = js_PublishMsg(&raw, js_.get(), msg, &po, &jerr);
    nats::handle<jsPubAck> ack(raw);
    if (s == NATS_OK && !ack->Duplicate) {
      stream_seq = ack->Sequence;
      return published::stored;
    }
    // A duplicate whose copy is still being replicated (sequence 0) is asked again below, until it has one.
    if (s == NATS_OK && ack->Sequence != 0) return slot_holder(ack->Sequence, mine, stream_seq);
    if (s != NATS_OK && jerr != 0) return published::refused;  // JetStream answered no: wrong last sequence, ...
    if (clock::now() + resend_pause >= deadline) return published::uncertain;
    std::this_thread::sleep_for(resend_pause);  // same Nats-Msg-Id: if the first did arrive, this one is dropped
  }
}

jetstream_store::published jetstream_store::slot_holder(std::uint64_t seq, const std::string& mine,
                                                        std::uint64_t& stream_seq) {
  natsMsg* raw = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  if (js_GetMsg(&raw, js_.get(), options_.stream.c_str(), seq, nullptr, &jerr) != NATS_OK)
    return published::uncertain;  // the room reloads and sees whose it is
  nats::handle<natsMsg> held(raw);
  const char* writer = nullptr;
  if (natsMsgHeader_Get(held.get(), writer_header, &writer) != NATS_OK || mine != writer) return published::refused;
  stream_seq = seq;  // this message's own resend: it was stored the first time
  return published::stored;
}

nats::handle<natsMsg> jetstream_store::last_message(const std::string& code) {
  natsMsg* raw = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  const natsStatus s = js_GetLastMsg(&raw, js_.get(), options_.stream.c_str(), subject(code).c_str(), nullptr, &jerr);
  if (no_message(s, jerr)) return nullptr;
  nats::check(s, "the last event of session " + code, jerr);
  return nats::handle<natsMsg>(raw);
}

std::uint64_t jetstream_store::events_through(natsMsg* last, const std::string& code) {
  const char* first = nullptr;
  nats::check(natsMsgHeader_Get(last, first_seq_header, &first), "the last event's seq of session " + code);
  return std::stoull(first) + unpack(last).size() - 1;
}

std::optional<std::uint64_t> jetstream_store::shared_events(const std::string& code) {
  const auto last = last_message(code);
  return last ? events_through(last.get(), code) : 0;
}

std::optional<jetstream_store::tip> jetstream_store::tip_of(const std::string& code) {
  if (const auto it = tips_.find(code); it != tips_.end()) return it->second;
  const auto last = last_message(code);
  if (!last) {
    const auto rec = record(code);
    if (!rec || json::parse(*rec).value("purged", false)) return std::nullopt;
    return tips_[code] = tip{};
  }
  return tips_[code] = tip{events_through(last.get(), code), natsMsg_GetSequence(last.get())};
}

bool jetstream_store::write_session(const op& item) {
  if (item.kind == op_kind::create_session) {
    const json rec{{"key", hex(item.data)}, {"created_ms", item.ms}, {"ended_ms", nullptr}, {"purged", false}};
    std::uint64_t rev = 0;
    // Create-if-absent: a code another server (or this one, earlier) took is refused.
    if (kvStore_CreateString(&rev, kv_.get(), item.code.c_str(), rec.dump().c_str()) != NATS_OK) return false;
    tips_[item.code] = tip{};
    return true;
  }
  const auto text = record(item.code);
  if (!text) return false;
  auto rec = json::parse(*text);
  if (rec.value("purged", false)) return false;
  // The key goes with the end, so the store and a participant's token no longer tell which ballots are theirs.
  rec["key"] = "";
  rec["ended_ms"] = item.ms;
  std::uint64_t rev = 0;
  return kvStore_PutString(&rev, kv_.get(), item.code.c_str(), rec.dump().c_str()) == NATS_OK;
}

std::optional<std::string> jetstream_store::record(const std::string& code) {
  kvEntry* raw = nullptr;
  const natsStatus s = kvStore_Get(&raw, kv_.get(), code.c_str());
  if (s == NATS_NOT_FOUND) return std::nullopt;
  nats::check(s, "the record of session " + code);
  nats::handle<kvEntry> entry(raw);
  return std::string(static_cast<const char*>(kvEntry_Value(entry.get())), kvEntry_ValueLen(entry.get()));
}

}  // namespace roundtable::store
