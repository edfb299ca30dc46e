// The room's strand boundary: whatever throws on the strand (a store call on a broken disk, a bug in a
// handler) is answered `internal`, counted, and the room reloads itself from the store, as after a failed
// write. An exception never reaches the io_context, which would end the whole server.
#include "room.hpp"

#include <iostream>
#include <stdexcept>
#include <utility>

#include "event_log.hpp"
#include "log.hpp"
#include "metrics.hpp"
#include "store/event_store.hpp"

namespace roundtable::facilitator {

namespace {

// How long a room whose reload failed waits before it tries again.
constexpr auto reload_retry = std::chrono::seconds(1);

}  // namespace

void room::on_exception(const conn_ptr& c, const request_id& id, const char* what) noexcept {
  try {
    services_.metrics.internal_errors++;
    log::write(log::level::error, "room_failed", std::string(what) + "; reloading from the store", {{"code", code_}});
    // The state may be ahead of the log (applied, never appended) or half-built: the durable log is the truth.
    need(repair::reload);
    if (c) error_to(c, id, {error_code::internal, "the server failed on this request; try again"});
    recover();
  } catch (...) {
    // Even the report failed (out of memory?): repair_ refuses writes; the next write report or retry recovers.
  }
}

void room::recover() {
  if (!refusing() || stopping_ || done_seq_ + 1 != next_seq_) return;  // on_written calls again when writes are done
  if (repair_ == repair::rebase) return rebase();
  try {
    reload();
    if (reload_failing_) log::write(log::level::info, "room_reloaded", "reloaded from the store", {{"code", code_}});
    reload_failing_ = false;
  } catch (const std::exception& e) {
    services_.metrics.internal_errors++;
    if (!reload_failing_)
      log::write(log::level::error, "room_reload_failed",
                 std::string("reload failed: ") + e.what() + "; trying again every second", {{"code", code_}});
    reload_failing_ = true;
    arm_reload_timer();
  }
}

void room::reload() {
  // The store rolled back what failed: the durable log is the truth again.
  services_.store.resume(code_);
  services_.metrics.reloads++;
  auto [log, unreadable] = read_log(services_.store, code_);
  if (unreadable) throw std::runtime_error(*unreadable);
  auto s = session::replay(log);
  if (!s) throw std::runtime_error(s.err().message);
  const session before = std::exchange(session_, std::move(*s));
  logged_ = log.size();
  repair_ = repair::none;
  if (confirmed_) {
    confirmed_ = session_;
    confirmed_logged_ = logged_;
    stored_through_ = std::min(stored_through_, logged_);  // the stream is the truth, even where it lost a write
    own_.clear();
    own_effects_.clear();
    unpushed_.clear();
    unpushed_tallies_.clear();
    release_answers(false);  // the writer's answers whose events the log read holds
  }
  // Where other servers write too, the subscription starts again from here: an ordered consumer may have
  // stopped delivering after a stream leader change, which is what made the log and the room disagree.
  if (services_.cluster && !stopping_) services_.cluster->follow(shared_from_this());
  broadcast_stage();
  update_summary();
  // The log may hold tallies other servers stored meanwhile, unfolded: each question's interval starts again
  // now, as after a folded tally, so the session's tallies stay at most one an interval.
  for (const auto& q : session_.question_ids()) settle_coalesced(publish_[q]);
  arm_round_timer();    // a timed round's timer that fired while writes were refused did nothing
  refresh_questions();  // so did a tally's; and the log may hold other servers' events now
  push_rounds_changed(before);
}

void room::rebase() {
  // A write of this room's the store holds is pushed already: the state must not go back behind it.
  if (confirmed_logged_ < stored_through_) return;  // confirm() calls again as they come back
  services_.store.resume(code_);
  services_.metrics.rebases++;
  session_ = *confirmed_;
  logged_ = confirmed_logged_;
  own_.clear();  // failed; one whose PubAck was lost may still come back, and is then folded as another server's
  // Events the stream holds as this room wrote them, but stored by another server: never pushed here.
  for (auto& [seq, effects] : std::exchange(own_effects_, {})) hold_back(std::move(effects));
  repair_ = repair::none;
  push_others(std::exchange(unpushed_, {}), std::exchange(unpushed_tallies_, {}));
  arm_round_timer();  // a timed round's timer that fired while writes were refused did nothing
  for (const auto& q : session_.question_ids()) schedule_publish(q);  // nor did a tally's
}

void room::push_rounds_changed(const session& before) {
  // Another server's close (a timed round's, say) that this room's own refused write kept it from folding.
  const auto now = now_ms();
  for (const auto& q : session_.question_ids()) {
    if (before.round_message(role::facilitator, q, now) == session_.round_message(role::facilitator, q, now)) continue;
    for (auto r : {role::facilitator, role::projector, role::participant})
      broadcast(r, session_.round_message(r, q, now));
  }
  if (before.ended() || !session_.ended()) return;
  for (auto r : {role::facilitator, role::projector, role::participant}) broadcast(r, session_.ended_message(r));
}

void room::arm_reload_timer() {
  reload_timer_.expires_after(reload_retry);
  reload_timer_.async_wait([this, self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) guarded(nullptr, {}, [this] { recover(); });
  });
}

}  // namespace roundtable::facilitator
