#include "store/jetstream_store.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <utility>

#include "crypto.hpp"
#include "store/nats_link.hpp"

namespace roundtable::store {
namespace {

// The stream of every session's events; created unless it exists (then used as it is).
void ensure_stream(jsCtx* js, const jetstream_options& o) {
  jsStreamInfo* info = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&info, js, o.stream.c_str(), nullptr, &jerr);
  if (s == NATS_OK) {
    jsStreamInfo_Destroy(info);
    return;
  }
  if (s != NATS_NOT_FOUND) nats::check(s, "JetStream stream " + o.stream, jerr);
  if (!o.create) throw std::runtime_error("no JetStream stream " + o.stream + " here: no facilitator served on it");
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  const char* subjects[] = {"roundtable.s.*.ev"};
  cfg.Name = o.stream.c_str();
  cfg.Subjects = subjects;
  cfg.SubjectsLen = 1;
  cfg.Storage = js_FileStorage;
  cfg.Replicas = o.replicas;
  nats::check(js_AddStream(&info, js, &cfg, nullptr, &jerr), "cannot create the JetStream stream " + o.stream, jerr);
  jsStreamInfo_Destroy(info);
}

}  // namespace

std::string jetstream_store::subject(const std::string& code) {
  return "roundtable.s." + code + ".ev";
}

bool jetstream_store::connected() const {
  return natsConnection_Status(nc_.get()) == NATS_CONN_STATUS_CONNECTED;
}

std::unique_ptr<jetstream_store> jetstream_store::open(const jetstream_options& options) {
  auto link = nats::connect(options.servers, options.attempt_timeout_ms);
  nats::until_ready([&] { ensure_stream(link.js.get(), options); }, options.ready_deadline_ms);
  auto kv = nats::until_ready(
      [&] { return nats::open_bucket(link.js.get(), options.bucket, options.replicas, options.create); },
      options.ready_deadline_ms);
  return std::unique_ptr<jetstream_store>(
      new jetstream_store(options, std::move(link.nc), std::move(link.js), std::move(kv)));
}

jetstream_store::jetstream_store(jetstream_options options, nats::handle<natsConnection> nc, nats::handle<jsCtx> js,
                                 nats::handle<kvStore> kv)
    : options_(std::move(options)),
      nc_(std::move(nc)),
      js_(std::move(js)),
      kv_(std::move(kv)),
      writer_id_(crypto::random_token(12)),
      writer_thread_([this] { writer_loop(); }) {}

jetstream_store::~jetstream_store() {
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  writer_thread_.join();
  kv_.reset();
  js_.reset();
  if (nc_) natsConnection_Close(nc_.get());
}

// ----- the queue -----

void jetstream_store::enqueue(op&& item) {
  {
    std::lock_guard lock(queue_mutex_);
    queue_.push_back(std::move(item));
    ++enqueued_;
  }
  queued_.fetch_add(1, std::memory_order_relaxed);
  queue_cv_.notify_one();
}

void jetstream_store::create_session(std::string code, std::string hmac_key, std::int64_t created_ms, completion done) {
  enqueue({op_kind::create_session, std::move(code), std::move(hmac_key), 0, created_ms, std::move(done)});
}

void jetstream_store::append(std::string code, std::string payload, completion done) {
  enqueue({op_kind::append, std::move(code), std::move(payload), 0, 0, std::move(done)});
}

void jetstream_store::append_at(std::string code, std::uint64_t seq, std::string payload, completion done) {
  enqueue({op_kind::append, std::move(code), std::move(payload), seq, 0, std::move(done)});
}

void jetstream_store::mark_ended(std::string code, std::int64_t ended_ms, completion done) {
  enqueue({op_kind::mark_ended, std::move(code), {}, 0, ended_ms, std::move(done)});
}

void jetstream_store::resume(const std::string& code) {
  enqueue({op_kind::resume, code, {}, 0, 0, [](bool) {}});
}

void jetstream_store::flush() {
  std::unique_lock lock(queue_mutex_);
  const auto ticket = enqueued_;
  done_cv_.wait(lock, [&] { return finished_ >= ticket; });
}

void jetstream_store::writer_loop() {
  for (;;) {
    std::vector<op> batch;
    {
      std::unique_lock lock(queue_mutex_);
      queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued is written
      while (!queue_.empty()) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    queued_.fetch_sub(batch.size(), std::memory_order_relaxed);
    write_batch(batch);
    {
      std::lock_guard lock(queue_mutex_);
      finished_ += batch.size();
    }
    done_cv_.notify_all();
  }
}

void jetstream_store::write_batch(std::vector<op>& batch) {
  last_batch_.store(batch.size(), std::memory_order_relaxed);
  if (batch.size() > max_batch_.load(std::memory_order_relaxed)) max_batch_.store(batch.size());
  std::size_t i = 0;
  while (i < batch.size()) {
    if (batch[i].kind == op_kind::resume) {
      halted_.erase(batch[i].code);
      batch[i].done(true);
      ++i;
      continue;
    }
    if (batch[i].kind != op_kind::append) {
      bool ok = false;
      try {
        ok = write_session(batch[i]);
      } catch (const std::exception&) {
        ok = false;
      }
      (ok ? writes_committed_ : writes_failed_).fetch_add(1, std::memory_order_relaxed);
      batch[i].done(ok);
      ++i;
      continue;
    }
    std::size_t j = i + 1;
    while (j < batch.size() && batch[j].kind == op_kind::append && batch[j].code == batch[i].code) ++j;
    write_appends(batch, i, j);
    i = j;
  }
}

}  // namespace roundtable::store
