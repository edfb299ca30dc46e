// A room whose log other servers write too (`serve --nats`, docs/architecture.md "Cluster"). The stream's
// messages, handed over by cluster::stream_follower, build confirmed_: the session as the stream holds it. Other
// servers' events are folded into the room's state too and pushed when it is in step with the stream; this
// room's own come back and are folded into confirmed_ only. A write another server beat sends the room back to
// confirmed_ (rebase, room_recovery.cpp), and its request is decided again, instead of answered `internal`.
#include <algorithm>
#include <chrono>
#include <random>

#include "crypto.hpp"
#include "event_log.hpp"
#include "log.hpp"
#include "room.hpp"
#include "store/log_store.hpp"

namespace roundtable::facilitator {

namespace {

// How often one request is decided again after another server's write beat its own, and the longest pause
// before the first retry (it doubles up to 32 times that: about 5 s in all, as long as a write's deadline).
constexpr int max_attempts = 20;
constexpr std::chrono::milliseconds first_pause{10};

// How often a room checks that its subscription delivers what the stream holds.
constexpr std::chrono::seconds stream_check_interval{1};

}  // namespace

void room::follow(std::uint64_t first, std::vector<std::string> payloads) {
  on_strand([this, first, payloads = std::move(payloads)] {
    if (!confirmed_ || repair_ == repair::reload || stopping_)
      return;  // the reload reads the log as the stream holds it
    if (first == 0 || payloads.empty()) return resync("a stored message could not be read");
    const std::uint64_t last = first + payloads.size() - 1;
    if (last <= confirmed_logged_) return;  // loaded already (a subscription starts with the last message)
    if (first != confirmed_logged_ + 1) return resync("the stream holds events this room did not see");
    confirm(payloads);
    if (repair_ == repair::rebase) recover();  // it may have waited for these
  });
}

void room::watch_stream() {
  on_strand([this] {
    // Once a second, so the others know this server is there; at once when the room starts following, so the
    // servers already serving the session learn of this one (and answer it, peer_presence).
    share_presence(true);
    stream_check_timer_.expires_after(stream_check_interval);
    stream_check_timer_.async_wait([this, self = shared_from_this()](boost::system::error_code ec) {
      if (ec || stopping_) return;
      guarded(nullptr, {}, [this] {
        check_stream();
        forget_silent_peers();
        expire_forwards();
        forwards_.forget_decided_here(clock::now());
        release_answers(true);
      });
      // An ended session's log takes no more events; forwards and answers still waiting are seen to the end.
      if (!session_.ended() || !forwards_.empty() || forwards_.answers_parked()) watch_stream();
    });
  });
}

void room::check_stream() {
  if (repair_ == repair::reload) return void(behind_mark_ = 0);  // reloading anyway
  // Behind a second ago and nothing folded since: a room that folds, however far behind (its server busy), is fine.
  const bool stalled = behind_mark_ != 0 && confirmed_logged_ < behind_mark_ && confirmed_logged_ == behind_folded_;
  behind_mark_ = 0;
  if (stalled) return resync("the stream's subscription delivered nothing for a second");
  // Behind now: a message may be on its way; the next check tells.
  ask_stream_events([this](std::optional<std::uint64_t> stored) {
    if (repair_ == repair::reload || !stored || *stored <= confirmed_logged_) return;
    behind_mark_ = *stored;
    behind_folded_ = confirmed_logged_;
  });
}

void room::confirm(const std::vector<std::string>& payloads) {
  // Own writes behind the stream's next seq failed: another server's events hold their seqs.
  while (!own_.empty() && own_.front().seq <= confirmed_logged_) own_.pop_front();
  if (!confirm_own(payloads)) confirm_others(payloads);
  release_answers(false);  // the writer's answers whose events are folded now
}

bool room::confirm_own(const std::vector<std::string>& payloads) {
  if (own_.size() < payloads.size() || own_.front().seq != confirmed_logged_ + 1) return false;
  for (std::size_t i = 0; i < payloads.size(); ++i)
    if (own_[i].payload != payloads[i]) return false;
  std::vector<events::event> evs;
  evs.reserve(payloads.size());
  for (std::size_t i = 0; i < payloads.size(); ++i) evs.push_back(std::move(own_.front().event)), own_.pop_front();
  // Applied to the room's state when it was decided, and pushed once stored: only confirmed_ takes it now.
  auto applied = confirmed_->fold(evs);  // a refusal reloads: no copy of the state to keep
  if (!applied) {
    resync("this room's own stored event does not apply again");
    return true;
  }
  confirmed_logged_ += payloads.size();
  if (stored_through_ < confirmed_logged_) own_effects_.emplace_back(confirmed_logged_, std::move(*applied));
  return true;
}

void room::confirm_others(const std::vector<std::string>& payloads) {
  auto parsed = parse_log(payloads);
  if (parsed.unreadable) return resync(*parsed.unreadable);
  // The room's state is the stream's when nothing of its own is on its way and no repair is due.
  const bool in_step = !refusing() && own_.empty() && logged_ == confirmed_logged_;
  auto applied = confirmed_->fold(parsed.events);  // as in confirm_own
  if (!applied) return resync("another server's event does not apply: " + applied.err().message);
  confirmed_logged_ += payloads.size();
  std::vector<std::string> tallied;
  for (const auto& e : parsed.events) {
    if (const auto* t = std::get_if<events::tally_published>(&e)) tallied.push_back(t->question);
    if (std::holds_alternative<events::ended>(e)) {
      std::lock_guard lock(key_mutex_);
      hmac_key_ = crypto::random_bytes(32);  // as the writer's room: a token no longer finds its ballots
    }
  }
  if (!in_step) {
    // This room's own writes at these seqs fail (or failed): the rebase takes these events and pushes them then.
    hold_back(std::move(*applied));
    unpushed_tallies_.insert(unpushed_tallies_.end(), tallied.begin(), tallied.end());
    return;
  }
  if (!session_.fold(parsed.events)) return resync("another server's event applies to the stream's state only");
  logged_ = confirmed_logged_;
  push_others(std::move(*applied), std::move(tallied));
}

void room::hold_back(std::vector<effect> effects) {
  for (auto& e : effects)
    if (std::find(unpushed_.begin(), unpushed_.end(), e) == unpushed_.end()) unpushed_.push_back(std::move(e));
}

void room::push_others(std::vector<effect> effects, std::vector<std::string> tallied) {
  // A tally stored by any server starts the question's interval here too: tallies stay 100 ms apart.
  for (const auto& q : tallied) settle_coalesced(publish_[q]);
  after_pending([this, effects = std::move(effects), tallied = std::move(tallied)]() mutable {
    if (refusing()) {
      // A write failed meanwhile: the state is repaired first, and these go out with the rebase's (a reload
      // pushes everything anyway).
      hold_back(std::move(effects));
      unpushed_tallies_.insert(unpushed_tallies_.end(), tallied.begin(), tallied.end());
      return;
    }
    push_effects(effects, false);
    for (const auto& q : tallied) schedule_publish(q);  // ballots of this room's the tally did not hold
    update_summary();
  });
}

void room::resync(const std::string& why) {
  log::write(log::level::info, "room_resync", why + "; reloading from the stream", {{"code", code_}});
  need(repair::reload);
  recover();
}

void room::refresh_questions() {
  for (const auto& q : session_.question_ids()) {
    broadcast_results(q);
    schedule_progress(q);
    schedule_publish(q);
  }
}

void room::refuse(const conn_ptr& c, const request_id& id, const error& e, std::function<void()> again) {
  if (!again || !services_.cluster) return error_to(c, id, e);
  ask_stream_events(
      [this, c, id, e, again = std::move(again), decided_on = logged_](std::optional<std::uint64_t> stored) {
        guarded(c, id, [&] {
          if (!stored || *stored <= decided_on) return error_to(c, id, e);  // the refusal saw everything stored
          // Decided on a state behind the stream: decided again a little later, once the subscription delivered
          // what the stream holds (check_stream reloads the room if it stopped delivering).
          again();
        });
      });
}

void room::ask_stream_events(std::function<void(std::optional<std::uint64_t>)> then) {
  if (!services_.cluster) return then(std::nullopt);
  auto ask = [self = shared_from_this(), then]() {
    std::optional<std::uint64_t> stored;
    try {
      stored = self->services_.store.shared_events(self->code_);
    } catch (const std::exception&) {
      // cannot tell now
    }
    self->on_strand([then, stored] { then(stored); });
  };
  if (!services_.cluster->run_blocking(std::move(ask))) then(std::nullopt);
}

std::function<void()> room::redecide(int attempt, std::function<void()> fn) {
  if (!services_.cluster || attempt >= max_attempts) return nullptr;
  return [this, attempt, fn = std::move(fn)] { retry_later(attempt, fn); };
}

void room::retry_later(int attempt, std::function<void()> fn) {
  // One line for the room, in the order the requests failed: each on its own random timer, a participant's
  // later ballot could be stored before an earlier one and the earlier one's stay (ten quick taps on three
  // servers left an older ballot in 3 runs of 3 of the conformance test "tallies during an open round").
  retries_.push_back(std::move(fn));
  if (retry_armed_) return;
  retry_armed_ = true;
  // A random pause that doubles with each attempt, so servers that keep beating each other spread out.
  static thread_local std::minstd_rand jitter(std::random_device{}());
  const auto cap = first_pause * (1 << std::min(attempt - 1, 5));
  auto timer = std::make_shared<boost::asio::steady_timer>(
      strand_, std::chrono::milliseconds(std::uniform_int_distribution<int>(1, cap.count())(jitter)));
  timer->async_wait([self = shared_from_this(), timer](boost::system::error_code ec) {
    if (ec) return;
    self->retry_armed_ = false;
    for (auto& fn : std::exchange(self->retries_, {})) self->guarded(nullptr, {}, fn);
  });
}

}  // namespace roundtable::facilitator
