// One writer in practice where several servers serve a session (`serve --nats`, docs/architecture.md "Cluster"):
// a participant's request (a vote, a perspective, an endorsement, a withdrawal) reaching a server that is not
// first in line among the session's servers (the pacer, room_pacing.cpp) goes to that server over NATS, which
// decides and stores it like one of its own and sends the answer back; this server sends it on once it folded the
// events the answer stands on. The stream's expected sequence stays the safety, the routing is only speed: when the
// writer does not answer (no server serves its subject; or it answered nothing for five seconds and then did not
// answer a ping, which its NATS thread answers however busy its room is; or a minute passed), the request is
// decided here, and a resend with its id is applied once wherever it lands. Joins and the facilitator's commands
// are decided where they arrive.
#include "cluster/forward_reply.hpp"
#include "cluster/forwarded_request.hpp"
#include "log.hpp"
#include "metrics.hpp"
#include "room.hpp"

namespace roundtable::facilitator {

namespace {

// The answer a writer sent is one a facilitator sends for this request: an ack or an error with the request's id.
bool answers(const nlohmann::json& frame, const std::optional<std::string>& id) {
  if (!frame.is_object()) return false;
  const auto type = frame.find("type");
  if (type == frame.end() || (*type != "ack" && *type != "error")) return false;
  const auto said = frame.find("id");
  if (!id) return said == frame.end();
  return said != frame.end() && *said == *id;
}

}  // namespace

std::optional<std::string> room::writer() const {
  const auto now = clock::now();
  if (!services_.cluster || forwards_.paused(now)) return std::nullopt;
  const auto* first = peers_.empty() ? nullptr : &peers_.begin()->first;  // the smallest id among the others
  // A writer that answers is still the writer while its presence comes late (its room busy with everyone's
  // requests) and is forgotten for a moment; a server with a smaller id that says its presence takes over.
  if (auto answering = forwards_.answering(first, now)) return answering;
  if (!first || *first >= services_.cluster->server_id()) return std::nullopt;
  return *first;
}

std::optional<std::string> room::route(const std::string& voter) const {
  // Behind the voter's requests still on their way to a writer: to the same one (if it is gone, they are all
  // decided here, in order).
  if (const auto* to = forwards_.in_flight(voter)) return *to;
  // An ended session's requests are refused here (and its rooms stop watching the stream soon).
  if (session_.ended()) return std::nullopt;
  // Behind the voter's requests decided here lately (their writes may be pending, or waiting to be decided again):
  // here too, after them, so a later ballot never lands first.
  if (forwards_.decided_here_lately(voter)) return std::nullopt;
  return writer();
}

void room::forward(const conn_ptr& c, const request_id& id, const std::string& voter, participant_request r,
                   clock::time_point arrived, const std::string& to) {
  const auto token = forwards_.next_token();
  if (!services_.cluster->forward(code_, to, token, cluster::encode({voter, r, id}))) {
    forwards_.decided_here(voter, clock::now());  // NATS would not take it: decided here, and the voter's next ones
    return serve_request(c, id, voter, r, arrived, 1);
  }
  services_.metrics.forwarded++;
  forwards_.add(token, {c, id, voter, std::move(r), arrived, to});
}

void room::forwarded(std::string voter, participant_request r, std::optional<std::string> id, std::string reply_to) {
  // The answer goes once the ballot is durable: the store holds at least this room's writes through then.
  auto c = std::make_shared<cluster::forward_reply>(*services_.cluster, std::move(reply_to),
                                                    [this] { return stored_through_; });
  const auto arrived = clock::now();
  on_strand(std::move(c), std::move(id),
            [this, voter = std::move(voter), r = std::move(r), arrived](const conn_ptr& c, const request_id& id) {
              services_.metrics.forwards_served++;
              serve_request(c, id, voter, r, arrived, 1);
            });
}

void room::forward_answered(std::uint64_t token, std::optional<std::string> frame, std::uint64_t through) {
  on_strand([this, token, frame = std::move(frame), through] {
    if (token == cluster::ping_token) {
      // No subscriber (NATS's word), or the writer's pong; anything else on the ping's subject is not theirs.
      if (!frame || *frame == cluster::pong_body) pong(frame.has_value());
      return;
    }
    const auto* f = forwards_.find(token);
    if (!f) return;  // decided here meanwhile
    const auto j = frame ? nlohmann::json::parse(*frame, nullptr, false) : nlohmann::json();
    // No server serves the writer's subject (it died), or what came back is not an answer: this one and every
    // other forward to that writer are decided here, in the order they were forwarded.
    if (!answers(j, f->id)) return decide_here(forwards_.take_all_for(f->writer), "no answer from the writing server");
    auto answered = forwards_.take(token);
    writer_heard(answered.writer);
    deliver({std::move(answered), std::move(*frame), j["type"] == "error"}, through);
  });
}

void room::writer_heard(const std::string& writer) {
  // A writer that answers is there, even when its presence comes late (its room busy with everyone's requests).
  const auto now = clock::now();
  forwards_.heard(writer, now);
  if (const auto peer = peers_.find(writer); peer != peers_.end()) peer->second.heard = now;
}

void room::pong(bool answered) {
  const auto* waiting = forwards_.ping_waiting();
  if (!waiting) return;                 // answered already, or the forwards went meanwhile
  const std::string pinged = *waiting;  // the ping's own string goes with it
  if (answered) return writer_heard(pinged);
  // Its subject has no subscriber: the writer is gone; nothing it was sent will be answered.
  decide_here(forwards_.take_all_for(pinged), "the writing server is gone");
}

void room::deliver(forward_table::answer a, std::uint64_t through) {
  if (forwards_.can_send(through, confirmed_logged_)) return send_answer(std::move(a));
  // A participant who rejoins here right after the ack reads the ballot acked, not an older one.
  forwards_.park(std::move(a), through, clock::now());
}

void room::send_answer(forward_table::answer a) {
  // Counted where the participant is connected, as its own requests are.
  if (a.error)
    services_.metrics.errors++;
  else if (std::holds_alternative<protocol::vote>(a.f.r)) {
    services_.metrics.ballots++;
    services_.metrics.vote_ack.observe(clock::now() - a.f.arrived);
  } else if (std::holds_alternative<protocol::perspective>(a.f.r))
    services_.metrics.perspectives++;
  a.f.c->send(std::make_shared<const std::string>(std::move(a.frame)));
}

void room::release_answers(bool overdue) {
  for (auto& a : forwards_.releasable(confirmed_logged_, overdue, clock::now())) send_answer(std::move(a));
}

void room::expire_forwards() {
  if (forwards_.empty()) return forwards_.forget_ping();
  const auto now = clock::now();
  // Silent for a while: a ping tells a busy writer (it answers) from a gone one (it does not, or NATS says so).
  if (const auto to = forwards_.ping_due(now);
      to && services_.cluster->forward(code_, *to, cluster::ping_token, cluster::ping_body))
    forwards_.pinged(*to, now);
  if (const auto gone = forwards_.ping_unanswered(now))
    return decide_here(forwards_.take_all_for(*gone), "the writing server answers nothing");
  decide_here(forwards_.take_expired(now), "a forward waited a minute");  // a lost answer
}

void room::decide_here(std::vector<forward_table::forwarding> due, const char* why) {
  if (due.empty()) return;
  const auto now = clock::now();
  if (forwards_.pause(now))
    log::write(log::level::warning, "forwards_unanswered", std::string(why) + "; deciding its requests here a while",
               {{"code", code_}, {"requests", std::to_string(due.size())}, {"writer", due.front().writer}});
  services_.metrics.forwards_decided_here += due.size();
  for (const auto& f : due) {
    forwards_.decided_here(f.voter, now);
    serve_request(f.c, f.id, f.voter, f.r, f.arrived, 1);
  }
}

}  // namespace roundtable::facilitator
