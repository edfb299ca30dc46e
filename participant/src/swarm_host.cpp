#include "swarm_host.hpp"

#include <iostream>

namespace roundtable::participant {

namespace asio = boost::asio;
using json = nlohmann::json;

swarm_host::swarm_host(strand_type strand, const swarm_options& opts, swarm_counters& counters,
                       swarm_question& question, events ev)
    : strand_(strand), opts_(opts), counters_(counters), question_(question), ev_(std::move(ev)) {}

void swarm_host::start() {
  client::events ev;
  ev.on_open = [this] { send(phase::hosting, json{{"type", "host"}, {"key", opts_.key}}); };
  ev.on_message = [this](std::string_view m) { on_message(m); };
  ev.on_close = [this](const std::string& why, client::close_cause) {
    if (phase_ != phase::done) fail("facilitator connection closed: " + why);
  };
  conn_ = client::connection::create(strand_, std::move(ev));
  conn_->start(opts_.server);
}

// Sends one request with a fresh id; its reply (the frame carrying that id) moves the phase on.
void swarm_host::send(phase next, json request) {
  awaiting_ = "h" + std::to_string(++requests_);
  request["id"] = awaiting_;
  phase_ = next;
  conn_->send(request.dump());
}

void swarm_host::on_message(std::string_view text) {
  const auto p = scan_push(text);
  if (!p) return;
  if (p->type == "progress" || p->type == "results") {
    if (p->type == "progress") ev_.push(*p);
    return;
  }
  const auto m = json::parse(text, nullptr, false);
  if (!m.is_object()) return;
  if (p->type == "error")
    return fail("facilitator request " + m.value("id", "") + ": " + m.value("code", "") + ": " +
                m.value("message", ""));
  if (p->type == "presence") {
    presence_ = m.value("participants", 0);
    if (phase_ == phase::gathering && presence_ >= opts_.open_at) open();
    return;
  }
  if (!awaiting_.empty() && m.value("id", "") == awaiting_) on_reply(m);
}

// The reply to the request in flight: the phase says which request it was.
void swarm_host::on_reply(const json& m) {
  awaiting_.clear();
  switch (phase_) {
    case phase::hosting: {
      json options{{"live", !opts_.not_live}};
      if (opts_.min_group > 0) options["min_group"] = opts_.min_group;
      return send(phase::starting, json{{"type", "start"}, {"scenario", opts_.scenario}, {"options", options}});
    }
    case phase::starting:
      return on_started(m);
    case phase::moving:
      phase_ = phase::joining;
      return ev_.ready(code_);
    case phase::opening:
      phase_ = phase::open;
      return ev_.opened();
    case phase::closing:
      phase_ = phase::done;
      return ev_.closed();
    default:
      return;
  }
}

// The session exists: find the question among its stages and move there.
void swarm_host::on_started(const json& m) {
  code_ = m.value("code", "");
  const auto& s = object_member(m, "session");
  counters_.set_min_group(s.value("min_group", 3), false);
  // The facilitator's view lists every stage with its question.
  for (const auto& st : s.value("stages", json::array())) {
    if (!st.contains("question") || st.value("kind", "") != "question") continue;
    if (!opts_.question.empty() && st["question"].value("id", "") != opts_.question) continue;
    auto q = client::question_from_view(st["question"]);
    if (!q) break;
    if (q->question.type == question_type::text)
      swarm_note("question " + q->id + " is a text question: the swarm posts perspectives");
    // On stdout, flushed: a second swarm process joins this session.
    std::cout << "session " << code_ << " question " << q->id << "\n" << std::flush;
    question_.set(std::move(*q));
    return send(phase::moving, json{{"type", "goto"}, {"code", code_}, {"stage", st.value("id", "")}});
  }
  fail(opts_.question.empty() ? "scenario " + opts_.scenario + " has no question"
                              : "scenario " + opts_.scenario + " has no question " + opts_.question);
}

void swarm_host::open_when_present() {
  if (phase_ != phase::joining) return;
  phase_ = phase::gathering;
  if (presence_ >= opts_.open_at) return open();
  arm_open_fallback();
}

// Other swarm processes may never bring everyone: open anyway after a while.
void swarm_host::arm_open_fallback() {
  open_fallback_ = std::make_unique<asio::steady_timer>(strand_, std::chrono::seconds(20));
  open_fallback_->async_wait([this](boost::system::error_code ec) {
    if (ec || phase_ != phase::gathering) return;
    swarm_note("only " + std::to_string(presence_) + " of " + std::to_string(opts_.open_at) +
               " participants present after 20 s: opening the round anyway");
    open();
  });
}

void swarm_host::open() {
  send(phase::opening, json{{"type", "open"}, {"code", code_}, {"question", question_.id()}});
}

void swarm_host::close_round() {
  send(phase::closing, json{{"type", "close"}, {"code", code_}, {"question", question_.id()}});
}

void swarm_host::fail(const std::string& why) {
  phase_ = phase::done;
  ev_.failed(why);
}

void swarm_host::stop() {
  phase_ = phase::done;
  if (open_fallback_) open_fallback_->cancel();
  if (conn_) conn_->close();
}

}  // namespace roundtable::participant
