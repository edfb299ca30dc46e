// A session's timed rounds, closed when their time runs out. Where several servers share the log (`serve
// --nats`), every one of them holds the round and its end; when each closed it, one close won and the others'
// refused writes reloaded their rooms, whose participants could miss the close. So the servers take turns: the
// pacer, the server with the smallest id among those that said their presence (docs/architecture.md
// "Cluster"), closes at the end; each other waits pacing_delay, longer the larger its id, and closes only if no
// close has come. The pacer may have died (it is forgotten three seconds after its last word): the next in line
// then closes, alone. The turns stop at four (6 s): whoever can publish on NATS can claim ids ahead of every real
// server, and servers at the cap that close at once are safe: the losers' rooms go back to the stream's state,
// which holds the winner's close, and push it (room::rebase).
#include <algorithm>

#include "room.hpp"

namespace roundtable::facilitator {

namespace {

// Longer than a close takes to reach the others (a PubAck round trip and a push, milliseconds), short enough that
// a dead pacer delays a round's close by little.
constexpr std::chrono::milliseconds pacer_grace{1500};

// The most turns a server waits: past them, a dead pacer is forgotten anyway (three seconds).
constexpr std::ptrdiff_t max_turns = 4;

}  // namespace

std::chrono::milliseconds room::pacing_delay() const {
  if (!services_.cluster) return std::chrono::milliseconds{0};
  // Its place in line: how many servers of the session have a smaller id.
  const auto& self = services_.cluster->server_id();
  const auto ahead = std::count_if(peers_.begin(), peers_.end(), [&](const auto& p) { return p.first < self; });
  return pacer_grace * std::min(ahead, max_turns);
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
    if (ec || stopping_ || refusing()) return;
    guarded(nullptr, {}, [this] {
      // A server behind others in line closes a round only once their closes are overdue.
      const auto due = session_.decide_timeouts(now_ms() - pacing_delay().count());
      if (due.empty()) return arm_round_timer();
      commit(due, [this](bool) { arm_round_timer(); });
    });
  });
}

}  // namespace roundtable::facilitator
