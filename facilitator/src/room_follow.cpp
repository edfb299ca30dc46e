// A room whose log other servers write too (`serve --nats`, docs/architecture.md "Cluster"): the stream's
// messages, handed over by cluster::stream_follower, are folded with the core's apply when they continue the
// room's log; its own come back too and are skipped. A request whose write another server beat is decided
// again once the room caught up, instead of being answered `internal`.
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
    if (failed_ || stopping_) return;  // the reload reads the log as the stream holds it
    if (first == 0 || payloads.empty()) return resync("a stored message could not be read");
    const std::uint64_t last = first + payloads.size() - 1;

    // This room's own writes coming back, or events it loaded already. (A rival's write at a seq this room
    // wrote too fails the room's own write, which reloads.)
    if (last <= logged_) return;
    if (first != logged_ + 1) return resync("the stream holds events this room did not see");
    fold(payloads);
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
      });
      if (!session_.ended()) watch_stream();  // an ended session's log takes no more events
    });
  });
}

void room::check_stream() {
  if (failed_) return void(behind_mark_ = 0);  // reloading anyway
  const bool stalled = behind_mark_ != 0 && logged_ < behind_mark_;
  behind_mark_ = 0;
  if (stalled) return resync("the stream's subscription delivered nothing for a second");
  // Behind now: a message may be on its way; the next check tells.
  ask_stream_events([this](std::optional<std::uint64_t> stored) {
    if (!failed_ && stored && *stored > logged_) behind_mark_ = *stored;
  });
}

void room::fold(const std::vector<std::string>& payloads) {
  auto parsed = parse_log(payloads);
  if (parsed.unreadable) return resync(*parsed.unreadable);
  auto applied = session_.apply_all(parsed.events);
  if (!applied) return resync("another server's event does not apply: " + applied.err().message);
  logged_ += payloads.size();
  std::vector<std::string> tallied;
  for (const auto& e : parsed.events) {
    if (const auto* t = std::get_if<events::tally_published>(&e)) tallied.push_back(t->question);
    if (std::holds_alternative<events::ended>(e)) {
      std::lock_guard lock(key_mutex_);
      hmac_key_ = crypto::random_bytes(32);  // as the writer's room: a token no longer finds its ballots
    }
  }
  // A tally stored by any server starts the question's interval here too: tallies stay 100 ms apart.
  for (const auto& q : tallied) settle_coalesced(publish_[q]);
  after_pending([this, effects = std::move(*applied), tallied = std::move(tallied)] {
    if (failed_) return;
    push_effects(effects, false);
    for (const auto& q : tallied) schedule_publish(q);  // ballots of this room's the tally did not hold
    update_summary();
  });
}

void room::resync(const std::string& why) {
  log::write(log::level::info, "room_resync", why + "; reloading from the stream", {{"code", code_}});
  failed_ = true;
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
          // Decided on a state behind the stream: decided again once the room holds what the stream does (it may
          // have folded it meanwhile; else it catches up, reloading once its pending writes are done).
          if (*stored > logged_ && !failed_) {
            failed_ = true;
            recover();
          }
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
  return [this, attempt, fn = std::move(fn)] {
    // A random pause that doubles with each attempt, so servers that keep beating each other spread out.
    static thread_local std::minstd_rand jitter(std::random_device{}());
    const auto cap = first_pause * (1 << std::min(attempt - 1, 5));
    auto timer = std::make_shared<boost::asio::steady_timer>(
        strand_, std::chrono::milliseconds(std::uniform_int_distribution<int>(1, cap.count())(jitter)));
    timer->async_wait([self = shared_from_this(), timer, fn](boost::system::error_code ec) {
      if (!ec) self->guarded(nullptr, {}, fn);
    });
  };
}

}  // namespace roundtable::facilitator
