// The room's pushes: what each audience is sent after a change, coalesced, and the round timer.
#include "room.hpp"

#include <algorithm>
#include <array>

#include "metrics.hpp"

namespace roundtable::facilitator {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

// At most ten tallies, progress counts or presence counts a second per room and question.
constexpr auto push_interval = std::chrono::milliseconds(100);

// Progress and presence go to every connection of the room, and on loopback one delivery
// costs the server about 8 us (bench/run, docs/benchmarks.md): past 2,000 connections their
// slot widens with the audience (50 us per connection: 10,000 -> 500 ms; presence 1.7 s),
// so these counts never take more than about a third of a core.
std::chrono::milliseconds count_interval(std::size_t audience) {
  return std::max(push_interval, std::chrono::milliseconds(audience / 20));
}

// A tally goes to every connection too (live sessions): past 5,000 connections its slot
// widens by 20 us per connection (10,000 -> 200 ms, 19,900 -> 400 ms). Kept at 100 ms, a
// burst of votes in a room of 10,000 spends most of a core on tallies and acks queue behind
// them for seconds (docs/benchmarks.md); widened, the core keeps up.
std::chrono::milliseconds tally_interval(std::size_t audience) {
  return std::max(push_interval, std::chrono::milliseconds(audience / 50));
}

}  // namespace

void room::broadcast(role r, const json& msg, std::uint64_t slot) {
  const auto& to = r == role::participant ? participants_ : r == role::projector ? projectors_ : facilitators_;
  if (to.empty()) return;
  services_.metrics.pushes++;
  const auto buf = frame(msg);
  for (const auto& [id, c] : to) c->send(buf, slot);
}

void room::broadcast_pair(role r, const json& first, std::uint64_t first_slot, const json& second,
                          std::uint64_t second_slot) {
  const auto& to = r == role::participant ? participants_ : r == role::projector ? projectors_ : facilitators_;
  if (to.empty()) return;
  services_.metrics.pushes += 2;
  const auto a = frame(first);
  const auto b = frame(second);
  for (const auto& [id, c] : to) c->send_pair(a, first_slot, b, second_slot);
}

void room::broadcast_stage() {
  const auto now = now_ms();
  broadcast(role::facilitator, session_.stage_message(role::facilitator, std::nullopt, now));
  broadcast(role::projector, session_.stage_message(role::projector, std::nullopt, now));
  if (participants_.empty()) return;
  // Participants differ only by their assigned model: one buffer per model.
  std::map<std::optional<std::size_t>, std::shared_ptr<const std::string>> by_model;
  for (const auto& [id, c] : participants_) {
    const auto model = session_.assigned_model(*voter_of_.at(id));
    auto& buf = by_model[model];
    if (!buf) {
      services_.metrics.pushes++;
      buf = frame(session_.stage_message(role::participant, model, now));
    }
    c->send(buf);
  }
}

void room::broadcast_results(const std::string& q) {
  constexpr std::array roles{role::facilitator, role::projector, role::participant};
  std::array<std::optional<json>, roles.size()> results;
  for (std::size_t i = 0; i < roles.size(); ++i) results[i] = session_.results_message(roles[i], q);
  // Where everyone sees the tally (live, or revealed), a count still waiting for its slot
  // leaves with it, in the same write: one delivery instead of two, and the count is newer.
  const auto progress = progress_.find(q);
  const bool count_rides_along = progress != progress_.end() && progress->second.scheduled && results.back();
  for (std::size_t i = 0; i < roles.size(); ++i) {
    if (!results[i]) continue;
    const auto slot = results_slot(q, results[i]->value("round", 0));
    if (count_rides_along)
      broadcast_pair(roles[i], *results[i], slot, session_.progress_message(roles[i], q), progress->second.slot);
    else
      broadcast(roles[i], *results[i], slot);
  }
  if (count_rides_along) settle_coalesced(progress->second);
}

std::uint64_t room::results_slot(const std::string& q, int round) {
  auto [it, added] = results_slots_.try_emplace({q, round}, 0);
  if (added) it->second = net::new_slot();
  return it->second;
}

void room::broadcast_perspectives(const std::string& q, bool everyone) {
  if (auto m = session_.perspectives_message(role::facilitator, q)) broadcast(role::facilitator, *m);
  if (!everyone) return;
  for (auto r : {role::projector, role::participant})
    if (auto m = session_.perspectives_message(r, q)) broadcast(r, *m);
}

void room::push_effects(const std::vector<effect>& effects, bool own) {
  const auto now = now_ms();
  for (const auto& e : effects) {
    switch (e.kind) {
      case push_kind::stage:
        broadcast_stage();
        break;
      case push_kind::round:
        for (auto r : {role::facilitator, role::projector, role::participant})
          broadcast(r, session_.round_message(r, e.question, now));
        arm_round_timer();
        break;
      case push_kind::progress:
        schedule_progress(e.question);
        break;
      case push_kind::results:
        broadcast_results(e.question);
        break;
      case push_kind::perspectives:
        broadcast_perspectives(e.question, e.everyone);
        break;
      case push_kind::hidden:
        for (auto r : {role::facilitator, role::projector, role::participant})
          broadcast(r, session_.hidden_message(r, e.question));
        break;
      case push_kind::ended:
        for (auto r : {role::facilitator, role::projector, role::participant}) broadcast(r, session_.ended_message(r));
        break;
    }
    // Every ballot may make a tally due, decided where the ballot was: the server that stored it holds every
    // event before it, and a tally decided elsewhere would race the next ballots' writes (docs/architecture.md).
    if (e.kind == push_kind::progress && own) schedule_publish(e.question);
  }
}

void room::send_catch_up(const conn_ptr& c, role r) {
  for (const auto& m : session_.catch_up(r)) reply(c, m);
}

void room::run_coalesced(coalesce& state, std::chrono::milliseconds interval, std::function<bool()> fn) {
  if (state.scheduled) return;
  const auto go = [&state, fn = std::move(fn)] {  // map nodes are stable: &state stays valid
    state.scheduled = false;
    if (fn()) state.last = clock::now();
  };
  // Leading edge: push at once after a quiet spell, else once at the next slot.
  const auto due = state.last + interval;
  if (clock::now() >= due) return go();
  state.scheduled = true;
  auto timer = std::make_shared<asio::steady_timer>(strand_, due);
  timer->async_wait(
      [self = shared_from_this(), timer, go, &state, generation = state.generation](boost::system::error_code ec) {
        if (!ec && state.generation == generation) self->guarded(nullptr, {}, go);
      });
}

void room::settle_coalesced(coalesce& state) {
  state.scheduled = false;
  ++state.generation;
  state.last = clock::now();
}

void room::schedule_publish(const std::string& q) {
  if (!session_.decide_publish(q)) return;
  run_coalesced(publish_[q], tally_interval(participants_.size() + projectors_.size()), [this, q] {
    if (stopping_ || refusing()) return false;
    auto e = session_.decide_publish(q);
    if (!e) return false;
    commit({*e}, [](bool) {});
    return true;
  });
}

void room::schedule_progress(const std::string& q) {
  run_coalesced(progress_[q], count_interval(participants_.size() + projectors_.size()), [this, q] {
    const auto slot = progress_[q].slot;
    for (auto r : {role::facilitator, role::projector, role::participant})
      broadcast(r, session_.progress_message(r, q), slot);
    return true;
  });
}

void room::schedule_presence() {
  // Presence is the least urgent count: its extra slot grows four times as fast (10,000 -> 1.7 s).
  const auto interval = 4 * count_interval(participants_.size() + projectors_.size()) - 3 * push_interval;
  run_coalesced(presence_, interval, [this] {
    share_presence(false);
    if (present_count() == presence_sent_) return false;
    presence_sent_ = present_count();
    const json msg{{"type", "presence"}, {"participants", presence_sent_}};
    broadcast(role::participant, msg, presence_.slot);
    broadcast(role::projector, msg, presence_.slot);
    json f = msg;
    f["code"] = code_;
    broadcast(role::facilitator, f, presence_.slot);
    return true;
  });
}

}  // namespace roundtable::facilitator
