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

// A writer that answered nothing this long while requests wait is pinged; one that does not answer the ping
// within as long again is gone (its process, or its network): what waits is decided here.
constexpr auto writer_silence = std::chrono::seconds(5);
// Nothing waits longer than this for its answer (a lost one: core NATS delivers at most once; a writer whose room
// is stuck while its process answers pings).
constexpr auto forward_limit = std::chrono::seconds(60);
// A voter whose request was decided here has their next ones decided here for this long: longer than a request can
// be decided again (about 5 s) plus a write's deadline (5 s), so none of theirs is still on its way.
constexpr auto decided_here_kept = std::chrono::seconds(15);
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
  const auto* first = peers_.empty() ? nullptr : &peers_.begin()->first;  // the smallest id among the others
  // A writer that answers is still the writer while its presence comes late (its room busy with everyone's
  // requests) and is forgotten for a moment; a server with a smaller id that says its presence takes over.
  if (!last_writer_.empty() && clock::now() - last_answer_ < writer_silence && (!first || *first >= last_writer_))
    return last_writer_;
  if (!first || *first >= services_.cluster->server_id()) return std::nullopt;
  return *first;
}

std::optional<std::string> room::route(const std::string& voter) const {
  // Behind the voter's requests still on their way to a writer: to the same one (if it is gone, they are all
  // decided here, in order).
  if (const auto in = in_flight_.find(voter); in != in_flight_.end()) return in->second.writer;
  // An ended session's requests are refused here (and its rooms stop watching the stream soon).
  if (session_.ended()) return std::nullopt;
  // Behind the voter's requests decided here lately (their writes may be pending, or waiting to be decided again):
  // here too, after them, so a later ballot never lands first.
  if (decided_here_.count(voter)) return std::nullopt;
  return writer();
}

void room::decided_here(const std::string& voter) {
  decided_here_[voter] = clock::now();
}

void room::forget_decided_here() {
  std::erase_if(decided_here_, [now = clock::now()](const auto& v) { return now - v.second >= decided_here_kept; });
}

void room::forward(const conn_ptr& c, const request_id& id, const std::string& voter, participant_request r,
                   clock::time_point arrived, const std::string& to) {
  const auto token = next_forward_++;
  if (!services_.cluster->forward(code_, to, token, cluster::encode({voter, r, id}))) {
    decided_here(voter);  // NATS would not take it: decided here, and the voter's next ones behind it
    return serve_request(c, id, voter, r, arrived, 1);
  }
  services_.metrics.forwarded++;
  forwards_.emplace(token, forwarding{c, id, voter, std::move(r), arrived, to});
  auto& in = in_flight_[voter];
  in.writer = to;
  ++in.count;
}

room::forwarding room::take_forward(std::map<std::uint64_t, forwarding>::iterator it) {
  auto f = std::move(it->second);
  forwards_.erase(it);
  if (const auto in = in_flight_.find(f.voter); in != in_flight_.end() && --in->second.count == 0) in_flight_.erase(in);
  return f;
}

void room::decide_all_for(std::string writer, const char* why) {
  std::vector<forwarding> due;  // in the order they were forwarded
  for (auto it = forwards_.begin(); it != forwards_.end();)
    if (it->second.writer == writer)
      due.push_back(take_forward(it++));
    else
      ++it;
  if (ping_sent_ && ping_writer_ == writer) ping_sent_.reset();
  decide_here(std::move(due), why);
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
    const auto it = forwards_.find(token);
    if (it == forwards_.end()) return;  // decided here meanwhile
    const auto j = frame ? nlohmann::json::parse(*frame, nullptr, false) : nlohmann::json();
    // No server serves the writer's subject (it died), or what came back is not an answer: this one and every
    // other forward to that writer are decided here, in the order they were forwarded.
    if (!answers(j, it->second.id)) return decide_all_for(it->second.writer, "no answer from the writing server");
    auto f = take_forward(it);
    writer_heard(f.writer);
    deliver({std::move(f), std::move(*frame), j["type"] == "error"}, through);
  });
}

void room::writer_heard(const std::string& writer) {
  // A writer that answers is there, even when its presence comes late (its room busy with everyone's requests).
  last_answer_ = clock::now();
  last_writer_ = writer;
  if (ping_sent_ && ping_writer_ == writer) ping_sent_.reset();
  if (const auto peer = peers_.find(writer); peer != peers_.end()) peer->second.heard = last_answer_;
}

void room::pong(bool answered) {
  if (!ping_sent_) return;  // answered already, or the forwards went meanwhile
  if (answered) return writer_heard(ping_writer_);
  // Its subject has no subscriber: the writer is gone; nothing it was sent will be answered.
  decide_all_for(ping_writer_, "the writing server is gone");
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
  if (forwards_.empty()) return ping_sent_.reset();
  const auto now = clock::now();
  const auto& oldest = forwards_.begin()->second;
  // Silent for a while: a ping tells a busy writer (it answers) from a gone one (it does not, or NATS says so).
  if (!ping_sent_ && now - std::max(oldest.arrived, last_answer_) >= writer_silence &&
      services_.cluster->forward(code_, oldest.writer, cluster::ping_token, cluster::ping_body)) {
    ping_sent_ = now;
    ping_writer_ = oldest.writer;
  }
  if (ping_sent_ && now - *ping_sent_ >= writer_silence)
    return decide_all_for(ping_writer_, "the writing server answers nothing");
  std::vector<forwarding> due;  // waited a minute (a lost answer), in the order they were forwarded
  for (auto it = forwards_.begin(); it != forwards_.end();)
    if (now - it->second.arrived >= forward_limit)
      due.push_back(take_forward(it++));
    else
      ++it;
  decide_here(std::move(due), "a forward waited a minute");
}

void room::decide_here(std::vector<forwarding> due, const char* why) {
  if (due.empty()) return;
  if (clock::now() >= forwarding_paused_until_)
    log::write(log::level::warning, "forwards_unanswered", std::string(why) + "; deciding its requests here a while",
               {{"code", code_}, {"requests", std::to_string(due.size())}, {"writer", due.front().writer}});
  forwarding_paused_until_ = clock::now() + forwarding_pause;
  services_.metrics.forwards_decided_here += due.size();
  for (const auto& f : due) {
    decided_here(f.voter);
    serve_request(f.c, f.id, f.voter, f.r, f.arrived, 1);
  }
}

}  // namespace roundtable::facilitator
