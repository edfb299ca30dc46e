// A session's clocks: its tallies (published as ballots make them due, at most one a slot) and its timed rounds
// (closed when their time runs out). Where several servers share the log (`serve --nats`), each of them folds
// every ballot and sees the same tally fall due, so one of them keeps the clocks: the pacer, the server with
// the smallest id among those that said their presence (docs/architecture.md "Cluster"). The others wait
// pacing_delay past each due time and act only if the pacer's event has not come: it may have died, and is
// forgotten three seconds after its last word.
#include "room.hpp"

namespace roundtable::facilitator {

namespace asio = boost::asio;

namespace {

// Longer than the pacer's write takes to reach the others (a PubAck round trip and a push, milliseconds), short
// enough that a dead pacer delays a tally or a round's close by little.
constexpr std::chrono::milliseconds pacer_grace{1500};

}  // namespace

bool room::paces() const {
  if (!services_.cluster) return true;
  const auto& self = services_.cluster->server_id();
  return std::none_of(peers_.begin(), peers_.end(), [&](const auto& p) { return p.first < self; });
}

std::chrono::milliseconds room::pacing_delay() const {
  return paces() ? std::chrono::milliseconds{0} : pacer_grace;
}

bool room::publish_due(const std::string& q) {
  if (stopping_ || failed_) return false;
  auto e = session_.decide_publish(q);
  if (!e) return false;
  commit({*e}, [](bool) {});
  return true;
}

void room::publish_unless_paced(const std::string& q) {
  auto& state = publish_[q];  // map nodes are stable: &state stays valid
  if (state.scheduled) return;
  state.scheduled = true;
  // A tally stored meanwhile (by the pacer) settles the state: a new generation, and this timer does nothing.
  auto timer = std::make_shared<asio::steady_timer>(strand_, pacing_delay());
  timer->async_wait(
      [self = shared_from_this(), timer, q, &state, generation = state.generation](boost::system::error_code ec) {
        if (ec || state.generation != generation) return;
        self->guarded(nullptr, {}, [&self, &q, &state] {
          state.scheduled = false;
          if (self->publish_due(q)) state.last = clock::now();
        });
      });
}

void room::arm_round_timer() {
  if (stopping_) return;
  std::optional<std::int64_t> next;
  for (const auto& q : session_.question_ids())
    if (auto at = session_.closes_at(q); at && (!next || *at < *next)) next = *at;
  round_timer_.cancel();
  if (!next) return;
  const auto wait = std::chrono::milliseconds(*next - now_ms()) + pacing_delay();
  round_timer_.expires_after(std::max(wait, std::chrono::milliseconds{0}));
  round_timer_.async_wait([this, self = shared_from_this()](boost::system::error_code ec) {
    if (ec || stopping_ || failed_) return;
    guarded(nullptr, {}, [this] {
      // A server that does not pace closes a round only once the pacer's close is overdue.
      const auto due = session_.decide_timeouts(now_ms() - pacing_delay().count());
      if (due.empty()) return arm_round_timer();
      commit(due, [this](bool) { arm_round_timer(); });
    });
  });
}

}  // namespace roundtable::facilitator
