// One writer in practice where several servers serve a session (`serve --nats`, docs/architecture.md "Cluster"):
// a participant's request (a vote, a perspective, an endorsement, a withdrawal) reaching a server that is not
// first in line among the session's servers (the pacer, room_pacing.cpp) goes to that server over NATS, which
// decides and stores it like one of its own and sends the answer back; this server sends it on. The stream's
// expected sequence stays the safety, the routing is only speed: when the writer does not answer (no server
// serves its subject, it answered nothing for five seconds, or thirty passed), the request is decided here, and a
// resend with its id is applied once wherever it lands. Joins and the facilitator's commands are decided where they
// arrive.
#include "cluster/forward_reply.hpp"
#include "cluster/forwarded_request.hpp"
#include "log.hpp"
#include "metrics.hpp"
#include "room.hpp"

namespace roundtable::facilitator {

namespace {

// A writer that answered nothing this long while requests wait is dead or stuck, not busy (a busy one answers
// others): what waits is decided here.
constexpr auto writer_silence = std::chrono::seconds(5);
// Nothing waits longer than this for its answer (a lost one: core NATS delivers at most once).
constexpr auto forward_limit = std::chrono::seconds(30);
// After a writer failed to answer, this server decides its requests itself for this long.
constexpr auto forwarding_pause = std::chrono::seconds(5);

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
  if (!services_.cluster || clock::now() < forwarding_paused_until_) return std::nullopt;
  // A writer that answers is still the writer while its presence comes late (its room busy with everyone's
  // requests) and is forgotten for a moment.
  if (!last_writer_.empty() && clock::now() - last_answer_ < writer_silence) return last_writer_;
  if (peers_.empty()) return std::nullopt;
  const auto& first = peers_.begin()->first;  // the smallest id among the others
  if (first >= services_.cluster->server_id()) return std::nullopt;
  return first;
}

void room::forward(const conn_ptr& c, const request_id& id, const std::string& voter, participant_request r,
                   clock::time_point arrived, const std::string& to) {
  const auto token = next_forward_++;
  if (!services_.cluster->forward(code_, to, token, cluster::encode({voter, r, id})))
    return serve_request(c, id, voter, r, arrived, 1);
  services_.metrics.forwarded++;
  forwards_.emplace(token, forwarding{c, id, voter, std::move(r), arrived, to});
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
    auto node = forwards_.extract(token);
    if (node.empty()) return;  // decided here meanwhile
    auto& f = node.mapped();
    const auto j = frame ? nlohmann::json::parse(*frame, nullptr, false) : nlohmann::json();
    if (!answers(j, f.id)) {
      // No server serves the writer's subject (it died), or what came back is not an answer: decided here.
      if (clock::now() >= forwarding_paused_until_)
        log::write(log::level::warning, "forward_refused", "no answer from the writing server; deciding requests here",
                   {{"code", code_}, {"writer", f.writer}});
      forwarding_paused_until_ = clock::now() + forwarding_pause;
      services_.metrics.forwards_decided_here++;
      return serve_request(f.c, f.id, f.voter, f.r, f.arrived, 1);
    }
    // A writer that answers is there, even when its presence comes late (its room busy with everyone's requests).
    last_answer_ = clock::now();
    last_writer_ = f.writer;
    if (const auto peer = peers_.find(f.writer); peer != peers_.end()) peer->second.heard = last_answer_;
    deliver({std::move(f), std::move(*frame), j["type"] == "error"}, through);
  });
}

void room::deliver(answer a, std::uint64_t through) {
  if (confirmed_logged_ >= through && answers_due_.empty()) return send_answer(std::move(a));
  // A participant who rejoins here right after the ack reads the ballot acked, not an older one.
  answers_due_.push_back({through, clock::now(), std::move(a)});
}

void room::send_answer(answer a) {
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
  const auto now = clock::now();
  // In arrival order: a participant's answers keep the order of their requests.
  while (!answers_due_.empty()) {
    auto& next = answers_due_.front();
    if (next.through > confirmed_logged_ && !(overdue && now - next.since >= writer_silence)) return;
    auto due = std::move(next.a);
    answers_due_.pop_front();
    send_answer(std::move(due));
  }
}

void room::expire_forwards() {
  if (forwards_.empty()) return;
  const auto now = clock::now();
  const bool silent = now - std::max(forwards_.begin()->second.arrived, last_answer_) >= writer_silence;
  std::vector<forwarding> due;  // in the order they were forwarded
  for (auto it = forwards_.begin(); it != forwards_.end();) {
    if (!silent && now - it->second.arrived < forward_limit) {
      ++it;
      continue;
    }
    due.push_back(std::move(it->second));
    it = forwards_.erase(it);
  }
  if (due.empty()) return;
  log::write(log::level::warning, "forwards_unanswered",
             "the writing server did not answer; deciding its requests here for a while",
             {{"code", code_}, {"requests", std::to_string(due.size())}, {"writer", due.front().writer}});
  forwarding_paused_until_ = now + forwarding_pause;
  services_.metrics.forwards_decided_here += due.size();
  for (const auto& f : due) serve_request(f.c, f.id, f.voter, f.r, f.arrived, 1);
}

}  // namespace roundtable::facilitator
