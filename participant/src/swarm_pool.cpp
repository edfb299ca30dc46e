#include "swarm_pool.hpp"

#include <boost/asio/post.hpp>

#include "client/answer.hpp"

namespace roundtable::participant {

namespace asio = boost::asio;
using json = nlohmann::json;
using clock_type = std::chrono::steady_clock;

swarm_pool::swarm_pool(asio::io_context& ioc, strand_type coordinator, const swarm_options& opts,
                       swarm_counters& counters, swarm_question& question, events ev)
    : ioc_(ioc), opts_(opts), counters_(counters), question_(question), ev_(std::move(ev)), ramp_timer_(coordinator) {}

void swarm_pool::start(std::string code) {
  code_ = std::move(code);
  sims_.reserve(static_cast<std::size_t>(opts_.count));
  for (int i = 0; i < opts_.count; ++i) {
    auto s = std::make_unique<sim>(ioc_);
    s->index = i;
    s->token = client::random_token();
    sims_.push_back(std::move(s));
  }
  joins_started_ = clock_type::now();
  counters_.joins_started(joins_started_);
  if (opts_.count == 0) return ev_.joins_settled();
  launch();
}

// Starts the joins due by now at the ramp rate, at most max-inflight at a time; again in 5 ms.
void swarm_pool::launch() {
  if (closing_) return;
  const double elapsed = std::chrono::duration<double>(clock_type::now() - joins_started_).count();
  const std::size_t due =
      opts_.ramp <= 0 ? sims_.size() : std::min(sims_.size(), static_cast<std::size_t>(elapsed * opts_.ramp) + 1);
  while (launched_ < due && inflight_.load() < opts_.inflight_max) {
    connect(*sims_[launched_]);
    ++launched_;
  }
  if (launched_ >= sims_.size()) return;
  ramp_timer_.expires_after(std::chrono::milliseconds(5));
  ramp_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) launch();
  });
}

void swarm_pool::connect(sim& s) {
  ++inflight_;
  s.state = sim::phase::connecting;
  s.t_start = clock_type::now();
  client::connection_options opts;
  opts.queue_max = 8;
  // A loaded server may take a while to answer a handshake: a browser would wait too.
  opts.handshake_timeout = std::chrono::seconds(30);
  if (!opts_.sources.empty()) opts.source = opts_.sources[static_cast<std::size_t>(s.index) % opts_.sources.size()];
  client::events ev;
  ev.on_open = [this, &s] {
    s.conn->send(json{{"type", "join"}, {"id", "j"}, {"code", code_}, {"token", s.token}}.dump());
  };
  ev.on_message = [this, &s](std::string_view m) { on_message(s, m); };
  ev.on_close = [this, &s](const std::string& why, client::close_cause) { on_closed(s, why); };
  s.conn = client::connection::create(s.strand, std::move(ev), opts);
  s.conn->start(opts_.server);
}

void swarm_pool::on_closed(sim& s, const std::string& why) {
  const auto was = s.state;
  s.state = sim::phase::failed;
  if (s.vote_timer) s.vote_timer->cancel();
  if (closing_) return;
  if (was == sim::phase::connecting) {
    counters_.connect_failed(why);
    --inflight_;
    return join_settled();
  }
  counters_.disconnected(why);
  ev_.lost();
}

void swarm_pool::on_message(sim& s, std::string_view text) {
  // Pushes are the bulk of the traffic: read without building a JSON value.
  const auto p = scan_push(text);
  if (!p) return;
  if (p->type == "progress" || p->type == "results") return ev_.push(*p);
  const auto m = json::parse(text, nullptr, false);
  if (m.is_object()) on_frame(s, m);
}

void swarm_pool::on_frame(sim& s, const json& m) {
  const auto type = m.value("type", "");
  if (type == "joined") return on_joined(s, m);
  if (type == "ack") return on_ack(s);
  if (type == "error") return on_error(s, m);
  if (type == "round") {
    if (m.value("status", "") == "open" && question_.id() == m.value("question", "")) ev_.round_open();
    return;
  }
  // With --code and no question known yet, the facilitator's move may show it.
  if (type == "stage" && object_member(m, "stage").contains("question")) on_stage(s, object_member(m, "stage"));
}

void swarm_pool::on_stage(sim& s, const json& stage) {
  const auto seen = question_.learn(stage);
  if (seen.has_model) s.assigned_model = seen.assigned_model;
  if (seen.open) ev_.round_open();
}

void swarm_pool::on_joined(sim& s, const json& m) {
  if (s.state != sim::phase::connecting) return;  // a repeated joined: nothing new
  const auto now = clock_type::now();
  s.state = sim::phase::joined;
  const auto& session = object_member(m, "session");
  counters_.joined(ms_between(s.t_start, now), now);
  counters_.set_min_group(session.value("min_group", 3), true);
  if (session.value("ended", false)) counters_.note("session ended");
  if (const auto& stage = object_member(session, "stage"); stage.contains("question")) on_stage(s, stage);
  --inflight_;
  join_settled();
}

// One participant's join is over (joined or failed); the last one starts what follows.
void swarm_pool::join_settled() {
  if (++joins_finished_ == opts_.count) ev_.joins_settled();
}

void swarm_pool::schedule_votes(clock_type::time_point start, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> when(0.0, opts_.window * 1000.0);
  for (auto& sp : sims_) {
    sim& s = *sp;
    const auto delay = std::chrono::microseconds(static_cast<long>(when(rng) * 1000.0));
    const auto seed = rng();
    asio::post(s.strand, [this, &s, start, delay, seed] {
      if (s.state != sim::phase::joined || !s.conn) return;
      s.vote_timer = std::make_unique<asio::steady_timer>(s.strand, start + delay);
      s.vote_timer->async_wait([this, &s, seed](boost::system::error_code ec) {
        if (!ec) vote(s, seed);
      });
    });
  }
}

void swarm_pool::vote(sim& s, std::uint64_t seed) {
  if (s.state != sim::phase::joined || !s.conn) return;
  std::mt19937_64 rng(seed);
  auto q = question_.get();  // known: votes are scheduled only then
  q->assigned_model = s.assigned_model;
  const auto a = client::random_answer(*q, rng);
  const auto id = "v" + std::to_string(++s.votes_cast);
  json msg = a.perspective ? json{{"type", "perspective"}, {"id", id}, {"question", q->id}, {"text", a.text}}
                           : json{{"type", "vote"}, {"id", id}, {"question", q->id}, {"ballot", a.ballot}};
  s.t_sent = clock_type::now();
  s.state = sim::phase::voted;
  if (!s.conn->send(msg.dump())) return counters_.error("send refused");
  counters_.sent(s.t_sent);
}

void swarm_pool::on_ack(sim& s) {
  if (s.state != sim::phase::voted) return;
  counters_.acked(s.votes_cast == 1, s.t_sent, clock_type::now());
  // --repeat: the next ballot replaces this one, sent as soon as this one is durable.
  if (s.votes_cast < opts_.repeat) {
    s.state = sim::phase::joined;
    return vote(s, (static_cast<std::uint64_t>(s.index) << 20) + static_cast<std::uint64_t>(s.votes_cast));
  }
  s.state = sim::phase::acked;
  counters_.voter_finished();
  ev_.answered();
}

void swarm_pool::on_error(sim& s, const json& m) {
  counters_.error(m.value("code", "error") + ": " + m.value("message", ""));
  if (s.state == sim::phase::connecting) {
    // The join was refused.
    s.state = sim::phase::failed;
    --inflight_;
    join_settled();
  } else if (s.state == sim::phase::voted) {
    s.state = sim::phase::failed;
  }
  ev_.answered();
}

void swarm_pool::close() {
  closing_ = true;
  ramp_timer_.cancel();
  for (auto& s : sims_) {
    if (s->conn) s->conn->close();
    asio::post(s->strand, [p = s.get()] {
      if (p->vote_timer) p->vote_timer->cancel();
    });
  }
}

}  // namespace roundtable::participant
