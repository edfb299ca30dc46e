#include "cluster/stream_follower.hpp"

#include <nlohmann/json.hpp>

#include <boost/asio/post.hpp>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>
#include <optional>
#include <stdexcept>
#include <vector>

#include "cluster/forwarded_request.hpp"
#include "crypto.hpp"
#include "log.hpp"
#include "store/nats_link.hpp"

namespace roundtable::facilitator::cluster {

stream_follower::stream_follower(const store::jetstream_options& options)
    : options_(options), server_id_(crypto::random_token(12)) {
  // Its own connection, apart from the store's writes: the ordered consumers resume by themselves after a reconnect.
  auto link = store::nats::connect(options_.servers, options_.attempt_timeout_ms);
  nc_ = std::move(link.nc);
  js_ = std::move(link.js);
}

stream_follower::~stream_follower() {
  stop_blocking();
  // Its handler reaches this object: it must have returned for good before the object goes.
  if (purged_ && natsSubscription_Drain(purged_.get()) == NATS_OK)
    natsSubscription_WaitForDrainCompletion(purged_.get(), 2000);
  {
    std::lock_guard lock(mutex_);
    for (auto& [code, subs] : subs_) unsubscribe(subs);
    subs_.clear();
  }
  js_.reset();
  natsConnection_Close(nc_.get());
}

void stream_follower::follow(const std::shared_ptr<room>& r) {
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = options_.stream.c_str();
  so.Ordered = true;  // an ephemeral consumer that redelivers from where a gap or reconnect left it
  // From the session's last message on: the room was just read from the log. Whatever was stored between
  // that read and this subscription shows up as a gap, and the room reads the log again.
  so.Config.DeliverPolicy = js_DeliverLastPerSubject;
  auto events = subscribe(r, store::jetstream_store::subject(r->code()), &on_message, &so);
  auto presence = subscribe(r, presence_subject(r->code()), &on_presence, nullptr);
  auto forwards = subscribe(r, forward_subject(r->code(), server_id_), &on_forward, nullptr);
  auto answers = subscribe(r, answer_prefix(server_id_, r->code()) + "*", &on_answer, nullptr);
  std::lock_guard lock(mutex_);
  auto& slot = subs_[r->code()];
  unsubscribe(slot);
  slot = {std::move(events), std::move(presence), std::move(forwards), std::move(answers)};
}

void stream_follower::unfollow(const std::string& code) {
  std::lock_guard lock(mutex_);
  const auto it = subs_.find(code);
  if (it == subs_.end()) return;
  unsubscribe(it->second);
  subs_.erase(it);
}

void stream_follower::on_purged(std::function<void(const std::string& code)> told) {
  std::lock_guard lock(purged_mutex_);
  purged_told_ = std::move(told);
  if (purged_ || !purged_told_) return;
  natsSubscription* raw = nullptr;
  store::nats::check(
      natsConnection_Subscribe(&raw, nc_.get(), store::jetstream_store::purged_subject, &on_purged_word, this),
      "watching purges");
  purged_.reset(raw);
}

void stream_follower::on_purged_word(natsConnection*, natsSubscription*, natsMsg* raw, void* closure) {
  store::nats::handle<natsMsg> msg(raw);
  auto* self = static_cast<stream_follower*>(closure);
  const std::string code(natsMsg_GetData(msg.get()), static_cast<std::size_t>(natsMsg_GetDataLength(msg.get())));
  std::lock_guard lock(self->purged_mutex_);
  if (self->purged_told_) self->purged_told_(code);
}

void stream_follower::unsubscribe(subscriptions& subs) {
  for (auto* sub : {subs.events.get(), subs.presence.get(), subs.forwards.get(), subs.answers.get()})
    if (sub) natsSubscription_Unsubscribe(sub);
}

store::nats::handle<natsSubscription> stream_follower::subscribe(const std::shared_ptr<room>& r,
                                                                 const std::string& subject, natsMsgHandler handler,
                                                                 jsSubOptions* js_options) {
  // Owned by the subscription: freed once it is closed and its handler has returned (on_complete).
  auto to = std::make_unique<target>(target{r, server_id_});
  natsSubscription* raw = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  const natsStatus s =
      js_options ? js_Subscribe(&raw, js_.get(), subject.c_str(), handler, to.get(), nullptr, js_options, &jerr)
                 : natsConnection_Subscribe(&raw, nc_.get(), subject.c_str(), handler, to.get());
  store::nats::check(s, "following session " + r->code(), jerr);
  store::nats::handle<natsSubscription> sub(raw);
  if (natsSubscription_SetOnCompleteCB(sub.get(), &on_complete, to.get()) != NATS_OK) {
    natsSubscription_Unsubscribe(sub.get());
    to.release();  // its handler may still run once: the target stays (a few bytes, on a failure never seen)
    throw store::nats::error("following session " + r->code() + ": cannot watch the subscription's end");
  }
  to.release();
  return sub;
}

bool stream_follower::run_blocking(std::function<void()> work) {
  // Each room asks once a second, and a refusal at most once a request (themselves rate-limited): 256 waiting
  // is a stream that stopped answering, not a load to queue behind.
  constexpr int max_waiting = 256;
  if (blocking_waiting_.fetch_add(1) >= max_waiting) {
    --blocking_waiting_;
    return false;
  }
  boost::asio::post(blocking_, [this, work = std::move(work)] {
    --blocking_waiting_;
    work();
  });
  return true;
}

void stream_follower::stop_blocking() {
  blocking_.join();
}

void stream_follower::share_presence(const std::string& code, const std::vector<voter_id>& voters) {
  // The count too, for a server of an older version (it reads only that).
  const auto body = nlohmann::json{{"server", server_id_}, {"count", voters.size()}, {"voters", voters}}.dump();
  // Core NATS, at most once: a lost count is said again within a second.
  natsConnection_Publish(nc_.get(), presence_subject(code).c_str(), body.data(), static_cast<int>(body.size()));
}

bool stream_follower::is_server_id(std::string_view id) {
  // What crypto::random_token(12) makes, with room to spare: it becomes part of a NATS subject (forwards go to the
  // writer's), where a space, a line break or a dot would break or inject into the protocol line.
  return !id.empty() && id.size() <= 32 && crypto::is_token_text(id);
}

std::string stream_follower::presence_subject(const std::string& code) {
  return "roundtable.presence." + code;
}

std::string stream_follower::forward_subject(const std::string& code, const std::string& server) {
  return "roundtable.forward." + code + "." + server;
}

std::string stream_follower::answer_prefix(const std::string& server, const std::string& code) {
  return "roundtable.answer." + server + "." + code + ".";
}

bool stream_follower::forward(const std::string& code, const std::string& owner, std::uint64_t token,
                              const std::string& body) {
  const auto reply = answer_prefix(server_id_, code) + std::to_string(token);
  return natsConnection_PublishRequest(nc_.get(), forward_subject(code, owner).c_str(), reply.c_str(), body.data(),
                                       static_cast<int>(body.size())) == NATS_OK;
}

void stream_follower::answer(const std::string& reply_to, const std::string& frame, std::uint64_t through) {
  natsMsg* raw = nullptr;
  if (natsMsg_Create(&raw, reply_to.c_str(), nullptr, frame.data(), static_cast<int>(frame.size())) != NATS_OK) return;
  store::nats::handle<natsMsg> msg(raw);
  natsMsgHeader_Set(msg.get(), through_header, std::to_string(through).c_str());
  natsConnection_PublishMsg(nc_.get(), msg.get());
}

void stream_follower::on_forward(natsConnection* nc, natsSubscription*, natsMsg* raw, void* closure) {
  store::nats::handle<natsMsg> msg(raw);
  const auto r = static_cast<target*>(closure)->r.lock();
  const char* reply = natsMsg_GetReply(msg.get());
  if (!r || !reply || !*reply) return;
  const std::string_view body(natsMsg_GetData(msg.get()), static_cast<std::size_t>(natsMsg_GetDataLength(msg.get())));
  // Answered here, on NATS's thread, not by the room: a writer whose room is busy still says it is there.
  if (body == ping_body) return void(natsConnection_PublishString(nc, reply, pong_body));
  auto f = decode(body);
  if (!f) return;  // not a facilitator's: ignored
  r->forwarded(std::move(f->voter), std::move(f->request), std::move(f->id), reply);
}

void stream_follower::on_answer(natsConnection*, natsSubscription*, natsMsg* raw, void* closure) {
  store::nats::handle<natsMsg> msg(raw);
  const auto r = static_cast<target*>(closure)->r.lock();
  if (!r) return;
  // The token is the subject's last part.
  const std::string_view subject = natsMsg_GetSubject(msg.get());
  const auto last = subject.substr(subject.rfind('.') + 1);
  std::uint64_t token = 0;
  if (std::from_chars(last.data(), last.data() + last.size(), token).ec != std::errc{}) return;
  if (natsMsg_IsNoResponders(msg.get())) return r->forward_answered(token, std::nullopt, 0);
  // Without a readable count (a forged answer), nothing to wait for: the answer is checked like any.
  std::uint64_t through = 0;
  if (const char* said = nullptr; natsMsgHeader_Get(msg.get(), through_header, &said) == NATS_OK && said)
    std::from_chars(said, said + std::strlen(said), through);
  r->forward_answered(token, std::string(natsMsg_GetData(msg.get()), natsMsg_GetDataLength(msg.get())), through);
}

void stream_follower::on_complete(void* closure) {
  delete static_cast<target*>(closure);
}

void stream_follower::on_presence(natsConnection*, natsSubscription*, natsMsg* raw, void* closure) {
  store::nats::handle<natsMsg> msg(raw);
  const auto r = static_cast<target*>(closure)->r.lock();
  if (!r) return;
  const auto j = nlohmann::json::parse(natsMsg_GetData(msg.get()),
                                       natsMsg_GetData(msg.get()) + natsMsg_GetDataLength(msg.get()), nullptr, false);
  if (!j.is_object() || !j.contains("server") || !j["server"].is_string() || !j.contains("count") ||
      !j["count"].is_number_unsigned())
    return;                                                              // not a facilitator's: ignored
  if (!is_server_id(j["server"].get_ref<const std::string&>())) return;  // not a facilitator's
  if (j["server"] == static_cast<target*>(closure)->self) return;        // this server's own count
  std::optional<std::vector<voter_id>> voters;
  if (const auto ids = j.find("voters"); ids != j.end()) {
    const auto is_id = [](const nlohmann::json& v) {
      return v.is_number_unsigned() && v.get<std::uint64_t>() <= std::numeric_limits<voter_id>::max();
    };
    if (!ids->is_array() || !std::all_of(ids->begin(), ids->end(), is_id)) return;  // not a facilitator's
    voters = ids->get<std::vector<voter_id>>();
  }
  r->peer_presence(j["server"].get<std::string>(), j["count"].get<std::size_t>(), std::move(voters));
}

void stream_follower::on_message(natsConnection*, natsSubscription*, natsMsg* raw, void* closure) {
  store::nats::handle<natsMsg> msg(raw);
  const auto r = static_cast<target*>(closure)->r.lock();
  if (!r) return;
  const char* first = nullptr;
  try {
    store::nats::check(natsMsgHeader_Get(msg.get(), store::jetstream_store::first_seq_header, &first),
                       "a stored message's seq");
    r->follow(std::stoull(first), store::jetstream_store::unpack(msg.get()));
  } catch (const std::exception& e) {
    // Not a message a facilitator wrote: the room cannot fold it; it reloads (and refuses what does not replay).
    log::write(log::level::error, "stream_unreadable", e.what(), {{"code", r->code()}});
    r->follow(0, {});
  }
}

}  // namespace roundtable::facilitator::cluster
