#include "room.hpp"

#include <algorithm>
#include <iostream>

#include "cluster/forward_reply.hpp"
#include "crypto.hpp"
#include "log.hpp"
#include "metrics.hpp"
#include "roundtable/overloaded.hpp"
#include "store/log_store.hpp"
#include "wall_clock.hpp"

namespace roundtable::facilitator {

namespace asio = boost::asio;
using nlohmann::json;

room::room(asio::io_context& ioc, room_services& services, std::string hmac_key, session s, std::uint64_t logged)
    : strand_(asio::make_strand(ioc)),
      services_(services),
      code_(s.code()),
      // An ended session's key was forgotten by the store: a fresh one, never the empty key
      // (which anyone could compute with).
      hmac_key_(hmac_key.empty() ? crypto::random_bytes(32) : std::move(hmac_key)),
      session_(std::move(s)),
      logged_(logged),
      reload_timer_(strand_),
      stream_check_timer_(strand_),
      round_timer_(strand_) {
  if (services_.cluster) {
    confirmed_ = session_;
    confirmed_logged_ = logged_;
  }
  update_summary();
}

std::string room::voter_key(const std::string& token) const {
  return keyed(token);
}

std::string room::keyed(const std::string& data) const {
  std::lock_guard lock(key_mutex_);
  return crypto::hmac_sha256_hex(hmac_key_, data);
}

room_summary room::summary() const {
  std::lock_guard lock(summary_mutex_);
  return summary_;
}

void room::update_summary() {
  std::lock_guard lock(summary_mutex_);
  summary_ = {code_,
              session_.scenario_copy().id,
              present_count(),
              session_.ended(),
              session_.started_ms(),
              session_.confidential(),
              session_.ended_ms(),
              session_.owner()};
}

std::int64_t room::now_ms() const {
  return wall_ms();
}

view_context room::context() const {
  return {services_.base_url + "/j/" + code_, present_count(), now_ms()};
}

void room::reply(const conn_ptr& c, const json& msg) {
  c->send(frame(msg));
}

void room::error_to(const conn_ptr& c, const std::optional<std::string>& id, const error& e) {
  // A forwarded request's error is counted where its participant is connected (room_forwarding.cpp).
  if (!cluster::is_forwarded(*c)) services_.metrics.errors++;
  reply(c, protocol::error_reply(id, e));
}

std::shared_ptr<const std::string> room::frame(const json& msg) {
  return std::make_shared<const std::string>(protocol::dump(msg));
}

// ----- writes -----

void room::commit(const std::vector<events::event>& evs, std::function<void(bool)> then) {
  // Applied at once so the next request is decided on the new state; answered only once durable.
  // All or nothing: a decision whose later event is refused leaves nothing of itself applied or stored.
  auto applied = session_.apply_all(evs);
  if (!applied) {
    // decide_* said yes, so this is a bug: refuse rather than store what cannot replay.
    log::write(log::level::error, "event_refused", "a decided event was refused: " + applied.err().message,
               {{"code", code_}});
    then(false);
    return;
  }
  auto effects = std::move(*applied);
  for (std::size_t i = 0; i < evs.size(); ++i) {
    const std::uint64_t seq = next_seq_++;
    const std::uint64_t at = ++logged_;
    auto payload = protocol::dump(events::to_json(evs[i]));
    if (confirmed_) own_.push_back({at, payload, evs[i]});  // folded into confirmed_ when it comes back
    services_.store.append_at(code_, at, std::move(payload), [self = shared_from_this(), seq, at](bool committed) {
      self->on_strand([r = self.get(), seq, at, committed] {
        if (committed) r->stored(at);
        r->on_written(seq, committed);
      });
    });
    if (const auto* end = std::get_if<events::ended>(&evs[i])) {
      log::write(log::level::info, "session_ended", "session ended", {{"code", code_}});
      services_.store.mark_ended(code_, end->at_ms, [](bool) {});
      // As the store forgets the key, so does the room: a token no longer finds its ballots.
      std::lock_guard lock(key_mutex_);
      hmac_key_ = crypto::random_bytes(32);
    }
  }
  const bool ends =
      std::any_of(evs.begin(), evs.end(), [](const auto& e) { return std::holds_alternative<events::ended>(e); });
  // Pushes are built when the writes are durable, from the state then: never ahead of the disk's word.
  after_pending([this, self = shared_from_this(), effects = std::move(effects), then = std::move(then), ends] {
    // The console list says "ended" before the end is acked: a purge right after the ack finds it ended.
    if (!refusing() && ends) update_summary();
    then(!refusing());
    if (!refusing()) push_effects(effects);
    // Once the end is durable, a confidential session's purge is scheduled (the `ended` push is out).
    if (!refusing() && ends && session_.confidential() && services_.confidential_ended)
      services_.confidential_ended(code_, session_.ended_ms());
  });
}

void room::stored(std::uint64_t seq) {
  stored_through_ = std::max(stored_through_, seq);
  while (!own_effects_.empty() && own_effects_.front().first <= seq) own_effects_.pop_front();
}

void room::after_pending(std::function<void()> fn) {
  if (done_seq_ + 1 == next_seq_) {
    fn();
    return;
  }
  waiting_.emplace_back(next_seq_ - 1, std::move(fn));
}

void room::on_written(std::uint64_t seq, bool ok) {
  if (!ok && !refusing()) {
    // Where the log is shared, most failures are another server's write at the same seq: the room goes back to
    // the stream's state (rebase). Where it is not, the store rolled back and the room reads the log again.
    need(confirmed_ ? repair::rebase : repair::reload);
    if (!confirmed_ || services_.store.stats().failing)
      log::write(log::level::error, "store_write_failed", "a write failed; refusing writes until the store recovers",
                 {{"code", code_}});
  }
  done_seq_ = seq;
  run_due();
  recover();
}

void room::run_due() {
  while (!waiting_.empty() && waiting_.front().first <= done_seq_) {
    auto fn = std::move(waiting_.front().second);
    waiting_.pop_front();
    guarded(nullptr, {}, fn);
  }
}

// ----- requests -----

void room::started(conn_ptr c, std::optional<std::string> id) {
  on_strand(std::move(c), std::move(id), [this](const conn_ptr& c, const request_id& id) {
    if (c->closed()) return;  // the console left before its session was stored: leave() has run or finds nothing
    facilitators_[c->id()] = c;
    after_pending(answering(c, id, [this, c, id] {
      json msg{
          {"type", "started"}, {"code", code_}, {"session", session_.view(role::facilitator, std::nullopt, context())}};
      if (id) msg["id"] = *id;
      reply(c, msg);
    }));
  });
}

void room::decide_and_commit(const conn_ptr& c, const std::optional<std::string>& id, decided d, const char* lost,
                             std::function<void()> done, std::function<void()> again) {
  if (!d) return refuse(c, id, d.err(), std::move(again));
  // Catching up with another server's write, or requests before this one wait to be decided again: decided
  // again after them, so a connection's requests keep their order.
  if ((refusing() || !retries_.empty()) && again) return again();
  if (refusing()) return error_to(c, id, {error_code::internal, "storage is failing; try again shortly"});
  auto answer = [this, c, id, lost, done = std::move(done), again = std::move(again)](bool ok) {
    guarded(c, id, [&] {
      if (ok) return done();
      const auto give_up = [this, c, id, lost] {
        services_.metrics.write_failures++;
        error_to(c, id, {error_code::internal, lost});
      };
      // Storage unreachable: said at once. Else another server may have written first: decided again
      // once the room caught up (on_written runs recover() next, before this).
      if (!again || services_.store.stats().failing) return give_up();
      again();
    });
  };
  if (d->empty()) return after_pending([this, answer = std::move(answer)] { answer(!refusing()); });
  commit(*d, std::move(answer));
}

void room::join(conn_ptr c, std::string voter, std::weak_ptr<role_count> count, std::optional<std::string> id) {
  on_strand(std::move(c), std::move(id),
            [this, voter = std::move(voter), count = std::move(count)](const conn_ptr& c, const request_id& id) {
              serve_join(c, id, voter, count, 1);
            });
}

void room::serve_join(const conn_ptr& c, const request_id& id, const std::string& voter,
                      const std::weak_ptr<role_count>& count, int attempt) {
  decide_and_commit(
      c, id, session_.decide_join(voter), "could not store the join; try again",
      [this, c, voter, count, id] { admit_participant(c, voter, count, id); },
      redecide(attempt, [this, c, id, voter, count, attempt] { serve_join(c, id, voter, count, attempt + 1); }));
}

void room::admit_participant(const conn_ptr& c, const std::string& voter, const std::weak_ptr<role_count>& count,
                             const std::optional<std::string>& id) {
  if (!participants_.count(c->id())) {
    // Gone while the join was being stored: leave() may have run already and found nothing.
    const auto counted = count.lock();
    if (c->closed() || !counted) return;
    participants_[c->id()] = c;
    const auto voter_entry = connected_voters_.try_emplace(voter, 0).first;
    voter_of_[c->id()] = &voter_entry->first;
    if (voter_entry->second++ == 0) voter_arrived(voter_entry->first);
    counted->count_as(services_.metrics.participants);
  }
  json msg{{"type", "joined"}, {"session", session_.view(role::participant, voter, context())}};
  if (id) msg["id"] = *id;
  reply(c, msg);
  send_catch_up(c, role::participant);
  update_summary();
}

void room::watch(conn_ptr c, std::weak_ptr<role_count> count, std::optional<std::string> id) {
  on_strand(std::move(c), std::move(id), [this, count = std::move(count)](const conn_ptr& c, const request_id& id) {
    after_pending(answering(c, id, [this, c, count, id] {
      if (!projectors_.count(c->id())) {
        // Gone before its turn: leave() may have run already and found nothing.
        const auto counted = count.lock();
        if (c->closed() || !counted) return;
        projectors_[c->id()] = c;
        counted->count_as(services_.metrics.projectors);
      }
      json msg{{"type", "joined"}, {"session", session_.view(role::projector, std::nullopt, context())}};
      if (id) msg["id"] = *id;
      reply(c, msg);
      send_catch_up(c, role::projector);
    }));
  });
}

room::decided room::decide(const std::string& voter, const participant_request& r, const std::string& request) const {
  return std::visit(overloaded{
                        [&](const protocol::vote& v) { return session_.decide_vote(voter, v, request); },
                        [&](const protocol::perspective& p) {
                          return session_.decide_perspective(voter, p, request, crypto::random_token(12));
                        },
                        [&](const protocol::endorse& e) { return session_.decide_endorse(voter, e, request); },
                        [&](const protocol::withdraw& w) { return session_.decide_withdraw(voter, w, request); },
                    },
                    r);
}

std::string room::remembered_as(const participant_request& r) {
  if (const auto* v = std::get_if<protocol::vote>(&r)) return v->question + "|" + v->ballot.dump();
  if (const auto* w = std::get_if<protocol::withdraw>(&r)) return w->question + "|withdraw";
  return {};
}

room::decided room::decide_remembering(const std::string& voter, const participant_request& r,
                                       const std::string& request) const {
  // Votes and withdrawals: a resend of either must not undo what a newer request did.
  const auto content = remembered_as(r);
  // Acked already without an event: acked again, applied once (protocol.md), even after a newer ballot.
  if (!content.empty() && !request.empty() && recent_acks_.contains(voter, request, content))
    return std::vector<events::event>{};
  return decide(voter, r, request);
}

void room::request(conn_ptr c, std::string voter, participant_request r, std::optional<std::string> id) {
  // Called on the connection's strand right after the frame was parsed: the vote's arrival, for the latency.
  const auto arrived = clock::now();
  on_strand(std::move(c), std::move(id),
            [this, voter = std::move(voter), r = std::move(r), arrived](const conn_ptr& c, const request_id& id) {
              // Where another server writes the session, it decides (room_forwarding.cpp).
              if (const auto w = route(voter)) return forward(c, id, voter, r, arrived, *w);
              if (services_.cluster) forwards_.decided_here(voter, clock::now());
              serve_request(c, id, voter, r, arrived, 1);
            });
}

void room::serve_request(const conn_ptr& c, const request_id& id, const std::string& voter,
                         const participant_request& r, clock::time_point arrived, int attempt) {
  const std::string request = id ? keyed(voter + "\n" + *id) : std::string();
  const bool is_vote = std::holds_alternative<protocol::vote>(r);
  const bool is_perspective = std::holds_alternative<protocol::perspective>(r);
  auto d = decide_remembering(voter, r, request);
  // Remembered only once acked: a decision made on events whose write then fails is no ack to remember.
  const bool eventless = d && d->empty() && !request.empty();
  decide_and_commit(
      c, id, std::move(d), "could not store it; send it again",
      [this, c, id, is_vote, is_perspective, arrived, eventless, voter, request, content = remembered_as(r)] {
        if (eventless && !content.empty()) recent_acks_.remember(voter, request, content);
        // A forwarded request is counted where its participant is connected (room_forwarding.cpp).
        const bool counted = !cluster::is_forwarded(*c);
        if (counted && is_vote) services_.metrics.ballots++;
        if (counted && is_perspective) services_.metrics.perspectives++;
        reply(c, protocol::ack(id));
        if (counted && is_vote) services_.metrics.vote_ack.observe(clock::now() - arrived);
      },
      redecide(attempt,
               [this, c, id, voter, r, arrived, attempt] { serve_request(c, id, voter, r, arrived, attempt + 1); }));
}

room::decided room::decide(const room_command& cmd) const {
  const auto now = now_ms();
  return std::visit(overloaded{
                        [&](const protocol::attach&) -> decided {
                          return error{error_code::bad_message, "not a session command"};  // see attach()
                        },
                        [&](const protocol::goto_stage& g) { return session_.decide_goto(g.stage, now); },
                        [&](const protocol::open& o) { return session_.decide_open(o, now, present()); },
                        [&](const protocol::close& x) { return session_.decide_close(x.question); },
                        [&](const protocol::reveal& x) { return session_.decide_reveal(x.question, true); },
                        [&](const protocol::hide& x) { return session_.decide_reveal(x.question, false); },
                        [&](const protocol::moderate& x) { return session_.decide_moderate(x); },
                        [&](const protocol::end&) { return session_.decide_end(now); },
                    },
                    cmd);
}

void room::command(conn_ptr c, room_command cmd, std::optional<std::string> id) {
  on_strand(std::move(c), std::move(id), [this, cmd = std::move(cmd)](const conn_ptr& c, const request_id& id) {
    // Any command subscribes the console to this session's pushes.
    facilitators_.emplace(c->id(), c);
    if (std::holds_alternative<protocol::attach>(cmd)) return attach(c, id);
    serve_command(c, id, cmd, 1);
  });
}

void room::serve_command(const conn_ptr& c, const request_id& id, const room_command& cmd, int attempt) {
  decide_and_commit(
      c, id, decide(cmd), "could not store the change; try again", [this, c, id] { reply(c, protocol::ack(id)); },
      redecide(attempt, [this, c, id, cmd, attempt] { serve_command(c, id, cmd, attempt + 1); }));
}

void room::attach(const conn_ptr& c, const std::optional<std::string>& id) {
  after_pending(answering(c, id, [this, c, id] {
    json msg{
        {"type", "joined"}, {"code", code_}, {"session", session_.view(role::facilitator, std::nullopt, context())}};
    if (id) msg["id"] = *id;
    reply(c, msg);
    send_catch_up(c, role::facilitator);
  }));
}

void room::leave(conn_ptr c) {
  on_strand([this, c = std::move(c)] {
    const auto id = c->id();
    // The gauges follow the connection's role_count, not these maps.
    if (participants_.erase(id)) {
      const auto entry = connected_voters_.find(*voter_of_.at(id));
      voter_of_.erase(id);
      if (--entry->second == 0) {
        // Out of the map first: the presence push (at once after a quiet spell) counts what is left.
        const auto gone = connected_voters_.extract(entry);
        voter_left(gone.key());
      }
      update_summary();
    }
    projectors_.erase(id);
    facilitators_.erase(id);
  });
}

void room::shutdown() {
  on_strand([this] {
    stopping_ = true;
    round_timer_.cancel();
    reload_timer_.cancel();
    stream_check_timer_.cancel();
    // On the strand, after stopping_: a reload under way cannot follow the stream again.
    if (services_.cluster) services_.cluster->unfollow(code_);
  });
}

void room::resume_timers() {
  on_strand([this] { arm_round_timer(); });
}

}  // namespace roundtable::facilitator
