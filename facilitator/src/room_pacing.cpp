// A session's timed rounds, closed when their time runs out. Where several servers share the log (`serve
// --nats`), every one of them holds the round and its end, and if each closed it, one close would win and the
// others' refused writes would reload their rooms. So one of them keeps the clock: the pacer, the server with
// the smallest id among those that said their presence (docs/architecture.md "Cluster"). The others wait
// pacing_delay past the end and close the round only if the pacer's close has not come: it may have died, and
// is forgotten three seconds after its last word.
#include "room.hpp"

namespace roundtable::facilitator {

namespace {

// Longer than the pacer's close takes to reach the others (a PubAck round trip and a push, milliseconds), short
// enough that a dead pacer delays a round's close by little.
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
