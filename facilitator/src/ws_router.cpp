#include "ws_router.hpp"

#include "crypto.hpp"
#include "roundtable/lenses.hpp"
#include "roundtable/overloaded.hpp"

namespace roundtable::facilitator {

using nlohmann::json;

namespace {

// The refusal a joined projector or a console gets for a participant's request.
const char* only_participants(const participant_request& r) {
  return std::visit(overloaded{
                        [](const protocol::vote&) { return "only participants vote"; },
                        [](const protocol::perspective&) { return "only participants post perspectives"; },
                        [](const protocol::endorse&) { return "only participants endorse"; },
                        [](const protocol::withdraw&) { return "only participants withdraw an answer"; },
                    },
                    r);
}

}  // namespace

/// A connection's role and what it joined, read and written only on its strand.
struct ws_router::client {
  enum class kind { none, participant, projector, facilitator } role = kind::none;
  // This connection in the role gauges of /metrics; a room moves it when it admits the connection.
  role_count count;
  std::shared_ptr<facilitator::room> room;  // participant or projector
  std::string code;
  std::string voter;
  std::vector<std::weak_ptr<facilitator::room>> consoles;  // facilitator: rooms it is subscribed to
  std::optional<principal> who;                            // facilitator: whose key it hosted with
  // Rate limiting: the keyed hash of the peer's address (never the address), this
  // connection's message bucket and its wrong join codes.
  std::string address;
  token_bucket messages;
  refusal_streak over_rate;  // how long the bucket has kept refusing
  failure_window join_failures;
  failure_window joins;  // every join and watch, right ones too
  client(metrics& m, std::string address, const rate_limits& lim, nanos now)
      : count(m),
        address(std::move(address)),
        messages(lim.messages_per_second, lim.messages_per_second, now),
        join_failures(lim.join_failures_per_connection, window_of(lim)),
        joins(lim.joins_per_connection, window_of(lim)) {}
};

namespace {

// The connection's role count for a room, which holds it weakly: it goes with the client state.
template <class Client>
std::weak_ptr<role_count> room_count(const std::shared_ptr<net::connection>& c, Client& cl) {
  return std::shared_ptr<role_count>(std::static_pointer_cast<Client>(c->user_data), &cl.count);
}

}  // namespace

ws_router::ws_router(router_options options, authenticator& auth, scenario_library& library, metrics& m,
                     room_registry& rooms, address_limits& limits)
    : options_(std::move(options)), auth_(auth), library_(library), metrics_(m), rooms_(rooms), limits_(limits) {}

void ws_router::send(const conn& c, const json& msg) {
  c->send(std::make_shared<const std::string>(protocol::dump(msg)));
}

void ws_router::send_error(const conn& c, const request_id& id, error_code code, std::string message) {
  metrics_.errors++;
  send(c, protocol::error_reply(id, {code, std::move(message)}));
}

void ws_router::send_limited(const conn& c, const request_id& id, std::string message) {
  metrics_.limited++;
  send_error(c, id, error_code::rate_limited, std::move(message));
}

void ws_router::on_open(const conn& c) {
  c->user_data = std::make_shared<client>(metrics_, limits_.hash(c->remote_address()), options_.limits, steady_now());
}

void ws_router::on_close(const conn& c) {
  auto cl = std::static_pointer_cast<client>(c->user_data);
  if (!cl) return;
  if (cl->room) cl->room->leave(c);
  for (auto& w : cl->consoles)
    if (auto r = w.lock()) r->leave(c);
  c->user_data.reset();  // and with it the role count
}

void ws_router::on_binary(const conn& c) {
  auto cl = std::static_pointer_cast<client>(c->user_data);
  if (!cl || !charge(c, *cl, {})) return;
  send_error(c, std::nullopt, error_code::bad_message, "binary frames are not part of the protocol; send JSON text");
}

void ws_router::on_text(const conn& c, std::string text) {
  metrics_.requests++;
  auto cl = std::static_pointer_cast<client>(c->user_data);
  if (!cl || !charge(c, *cl, text)) return;
  auto p = protocol::parse(text);
  if (p.err) return send_error(c, p.id, p.err->code, p.err->message);
  dispatch(c, *cl, sort_request(std::move(*p.msg)), p.id);
  // A role keeps the connection past the handshake timeout (net::connection::admitted).
  if (cl->role != client::kind::none) c->admitted();
}

bool ws_router::charge(const conn& c, client& cl, std::string_view frame) {
  // Before any parsing: a refused frame costs a token check, not a JSON parse. Every frame
  // counts, bad and binary ones too.
  const auto now = steady_now();
  if (cl.messages.take(now)) return true;
  const auto over = std::chrono::nanoseconds(cl.over_rate.refused(now));
  if (over >= options_.limits.flood_close_after) {
    metrics_.limited++;
    c->close(net::close_code::policy_error, "over the message rate limit for too long");
    return false;
  }
  // The refusal echoes the id of a short frame (every request but a long text); a longer one
  // is not parsed, so a flood of big frames costs no parsing.
  constexpr std::size_t parse_for_id_max = 2048;
  const auto id = frame.size() <= parse_for_id_max ? protocol::parse(frame).id : std::nullopt;
  send_limited(c, id,
               "more than " + std::to_string(options_.limits.messages_per_second) + " messages a second; slow down");
  return false;
}

void ws_router::dispatch(const conn& c, client& cl, request r, const request_id& id) {
  std::visit(overloaded{
                 [&](const protocol::join& j) { join(c, cl, j, id); },
                 [&](const protocol::watch& w) { watch(c, cl, w, id); },
                 [&](const protocol::host& h) { host(c, cl, h, id); },
                 [&](const protocol::start& s) {
                   if (facilitator_only(c, cl, id) && not_cohost(c, *cl.who, id)) start_session(c, cl, s, id);
                 },
                 [&](const protocol::purge& x) {
                   if (facilitator_only(c, cl, id) && not_cohost(c, *cl.who, id)) purge_session(c, *cl.who, x.code, id);
                 },
                 [&](const protocol::scenario_save& x) {
                   if (facilitator_only(c, cl, id) && not_cohost(c, *cl.who, id)) save_case(c, *cl.who, x, id);
                 },
                 [&](const protocol::scenario_get& x) {
                   if (facilitator_only(c, cl, id) && not_cohost(c, *cl.who, id)) get_case(c, *cl.who, x, id);
                 },
                 [&](const protocol::scenario_delete& x) {
                   if (facilitator_only(c, cl, id) && not_cohost(c, *cl.who, id)) delete_case(c, *cl.who, x, id);
                 },
                 [&](const protocol::cohost_key& x) {
                   if (facilitator_only(c, cl, id) && not_cohost(c, *cl.who, id)) mint_cohost_key(c, *cl.who, x, id);
                 },
                 [&](participant_request& x) { participant(c, cl, std::move(x), id); },
                 [&](room_command& x) {
                   if (facilitator_only(c, cl, id)) command(c, cl, std::move(x), id);
                 },
             },
             r);
}

bool ws_router::facilitator_only(const conn& c, const client& cl, const request_id& id) {
  using kind = client::kind;
  if (cl.role != kind::facilitator) {
    send_error(c, id, error_code::unauthorized,
               cl.role == kind::none ? "send host with the facilitator key first" : "only the facilitator may do that");
    return false;
  }
  // Checked before every request: a key revoked (or a co-host's replaced, or its session ended)
  // since this connection's host does nothing more, and the connection goes with its pushes.
  if (auth_.still_valid(*cl.who)) return true;
  send_error(c, id, error_code::unauthorized, "this key no longer works; ask for a new one");
  c->close(net::close_code::policy_error, "the facilitator key no longer works");
  return false;
}

void ws_router::join(const conn& c, client& cl, const protocol::join& j, const request_id& id) {
  if (!join_allowed(c, cl, id)) return;
  if (cl.role == client::kind::participant) {
    // The same join again just answers joined; anything else is a second role. An ended session
    // has forgotten its key (a token no longer finds its voter), so there the code is enough.
    if (j.code == cl.code && (cl.room->voter_key(j.token) == cl.voter || cl.room->summary().ended))
      return cl.room->join(c, cl.voter, room_count(c, cl), id);
    return send_error(c, id, error_code::bad_message, "this connection already joined a session");
  }
  auto r = room_to_enter(c, cl, j.code, id);
  if (!r) return;
  cl.role = client::kind::participant;
  cl.room = r;
  cl.code = j.code;
  cl.voter = r->voter_key(j.token);
  r->join(c, cl.voter, room_count(c, cl), id);
}

void ws_router::watch(const conn& c, client& cl, const protocol::watch& w, const request_id& id) {
  if (!join_allowed(c, cl, id)) return;
  if (cl.role == client::kind::projector && w.code == cl.code) return cl.room->watch(c, room_count(c, cl), id);
  auto r = room_to_enter(c, cl, w.code, id);
  if (!r) return;
  cl.role = client::kind::projector;
  cl.room = r;
  cl.code = w.code;
  r->watch(c, room_count(c, cl), id);
}

std::shared_ptr<room> ws_router::room_to_enter(const conn& c, client& cl, const std::string& code,
                                               const request_id& id) {
  if (cl.role != client::kind::none) {
    send_error(c, id, error_code::bad_message, "this connection already has a role");
    return nullptr;
  }
  if (join_limited(cl)) {
    send_limited(c, id, "too many wrong codes; wait a minute, then try again");
    return nullptr;
  }
  auto r = is_code(code) ? rooms_.find(code) : nullptr;
  if (!r) wrong_code(c, cl, id);
  return r;
}

bool ws_router::join_allowed(const conn& c, client& cl, const request_id& id) {
  // Each join or watch is answered with a whole SessionView: one connection may not ask for it
  // over and over (a client that needs a fresh view reconnects, or waits for the pushes).
  const auto now = steady_now();
  if (cl.joins.limited(now)) {
    send_limited(c, id, "too many joins on this connection; wait a minute");
    return false;
  }
  cl.joins.record(now);
  return true;
}

bool ws_router::join_limited(client& cl) {
  // Right codes are refused too while limited, so a guesser learns nothing from the answer.
  const auto now = steady_now();
  return cl.join_failures.limited(now) || limits_.join_failures.limited(cl.address, now);
}

void ws_router::wrong_code(const conn& c, client& cl, const request_id& id) {
  const auto now = steady_now();
  cl.join_failures.record(now);
  limits_.join_failures.record(cl.address, now);
  send_error(c, id, error_code::unknown_code, "no session has that code");
}

void ws_router::host(const conn& c, client& cl, const protocol::host& h, const request_id& id) {
  if (cl.role != client::kind::none && cl.role != client::kind::facilitator)
    return send_error(c, id, error_code::bad_message, "this connection already has a role");
  // A limited address is refused even with the right key: the limit tells nothing.
  if (limits_.key_failures.limited(cl.address, steady_now()))
    return send_limited(c, id, "too many wrong keys from this network; wait a minute");
  auto who = auth_.identify(h.key);
  if (!who) {
    limits_.key_failures.record(cl.address, steady_now());
    return send_error(c, id, error_code::unauthorized, "wrong facilitator key");
  }
  // Another key on the same connection: the consoles of the sessions the first one drove are left.
  if (cl.who && !(cl.who->role == who->role && cl.who->name == who->name && cl.who->session == who->session)) {
    for (auto& w : cl.consoles)
      if (auto r = w.lock()) r->leave(c);
    cl.consoles.clear();
  }
  cl.who = std::move(who);
  cl.role = client::kind::facilitator;
  cl.count.count_as(metrics_.facilitators);
  json msg = hosting(*cl.who);
  if (id) msg["id"] = *id;
  send(c, msg);
}

void ws_router::participant(const conn& c, client& cl, participant_request r, const request_id& id) {
  if (cl.role == client::kind::none) return send_error(c, id, error_code::not_joined, "join a session first");
  if (cl.role != client::kind::participant) return send_error(c, id, error_code::unauthorized, only_participants(r));
  cl.room->request(c, cl.voter, std::move(r), id);
}

void ws_router::command(const conn& c, client& cl, room_command cmd, const request_id& id) {
  auto r = room_for(c, *cl.who, code_of(cmd), id);
  if (!r) return;
  bool known = false;
  for (auto& w : cl.consoles) known = known || w.lock() == r;
  if (!known) cl.consoles.push_back(r);
  r->command(c, std::move(cmd), id);
}

json ws_router::hosting(const principal& p) const {
  json scenarios = json::array();
  // A co-host starts nothing: it is shown no case.
  if (p.role != principal::kind::cohost)
    for (const auto& s : library_.list(case_scope(p)))
      scenarios.push_back({{"id", s.id}, {"title", s.title}, {"summary", s.summary}, {"source", to_string(s.source)}});
  // Newest first: the console lists what is running now at the top.
  json sessions = json::array();
  for (const auto& s : rooms_.summaries())
    if (may_drive(p, s))
      sessions.push_back(
          {{"code", s.code}, {"scenario", s.scenario}, {"participants", s.participants}, {"ended", s.ended}});
  json msg{{"type", "hosting"}, {"scenarios", std::move(scenarios)}, {"sessions", std::move(sessions)}};
  msg["role"] = to_string(p.role);
  if (p.role == principal::kind::facilitator) msg["name"] = p.name;
  return msg;
}

void ws_router::start_session(const conn& c, client& cl, const protocol::start& s, const request_id& id) {
  const auto found = case_to_start(c, *cl.who, s, id);
  if (!found) return;
  if (s.lenses)
    if (auto fits = check_lenses(*found, *s.lenses, "options.lenses"); !fits)
      return send_error(c, id, fits.err().code, fits.err().message);
  auto r = rooms_.start(*found, options_.min_group, s, session_owner(*cl.who),
                        [this, c, id](const std::shared_ptr<room>& r, bool ok) {
                          if (ok) return r->started(c, id);
                          metrics_.write_failures++;
                          send_error(c, id, error_code::internal, "could not store the new session; try again");
                        });
  cl.consoles.push_back(std::move(r));
}

void ws_router::purge_session(const conn& c, const principal& p, const std::string& code, const request_id& id) {
  auto r = room_for(c, p, code, id);
  if (!r) return;
  if (!r->summary().ended) return send_error(c, id, error_code::bad_message, "end the session before purging it");
  rooms_.purge(code);
  auth_.forget_cohost(code);
  send(c, protocol::ack(id));
}

}  // namespace roundtable::facilitator
