#include "app.hpp"

#include <chrono>
#include <sstream>

#include "crypto.hpp"
#include "export.hpp"
#include "qr.hpp"
#include "roundtable/overloaded.hpp"
#include "store/event_store.hpp"

namespace roundtable::facilitator {

using nlohmann::json;

namespace {

nanos steady_now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

nanos window_of(const rate_limits& lim) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(lim.failure_window).count();
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool is_code(const std::string& s) {
  if (s.size() != 6) return false;
  for (char ch : s)
    if (ch < '0' || ch > '9') return false;
  return true;
}

net::http_reply plain(unsigned status, std::string body) {
  net::http_reply r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

}  // namespace

/// A connection's role and what it joined, read and written only on its strand.
struct app::client {
  enum class kind { none, participant, projector, facilitator } role = kind::none;
  std::shared_ptr<facilitator::room> room;  // participant or projector
  std::string code;
  std::string voter;
  std::vector<std::weak_ptr<facilitator::room>> consoles;  // facilitator: rooms it is subscribed to
  // Rate limiting: the keyed hash of the peer's address (never the address), this
  // connection's message bucket and its wrong join codes.
  std::string address;
  token_bucket messages;
  failure_window join_failures;
  client(std::string address, const rate_limits& lim, nanos now)
      : address(std::move(address)),
        messages(lim.messages_per_second, lim.messages_per_second, now),
        join_failures(lim.join_failures_per_connection,
                      std::chrono::duration_cast<std::chrono::nanoseconds>(lim.failure_window).count()) {}
};

app::app(boost::asio::io_context& ioc, store::event_store& store, std::vector<scenario> catalog, app_options options)
    : ioc_(ioc),
      store_(store),
      catalog_(std::move(catalog)),
      options_(std::move(options)),
      services_{store, metrics_, ""},
      assets_(options_.web_root.empty() ? web_assets::embedded() : web_assets::from_dir(options_.web_root)),
      address_key_(crypto::random_bytes(32)),
      join_failures_(options_.limits.join_failures_per_address, window_of(options_.limits),
                     options_.limits.max_addresses),
      key_failures_(options_.limits.key_failures_per_address, window_of(options_.limits),
                    options_.limits.max_addresses) {
  for (const auto& row : store_.sessions()) {
    std::vector<events::event> log;
    for (const auto& payload : store_.events(row.code)) {
      auto e = events::event_from_json(json::parse(payload, nullptr, false));
      if (!e) throw std::runtime_error("session " + row.code + ": " + e.err().message);
      log.push_back(std::move(*e));
    }
    if (log.empty()) continue;  // created but its started event never committed
    auto s = session::replay(log);
    if (!s) throw std::runtime_error("session " + row.code + ": " + s.err().message);
    auto r = std::make_shared<room>(ioc_, services_, row.hmac_key, std::move(*s), log.size());
    r->resume_timers();
    rooms_.emplace(row.code, std::move(r));
  }
}

void app::shutdown() {
  std::lock_guard lock(rooms_mutex_);
  for (auto& [code, r] : rooms_) r->shutdown();
}

std::size_t app::sessions() const {
  std::lock_guard lock(rooms_mutex_);
  return rooms_.size();
}

std::shared_ptr<room> app::find(const std::string& code) const {
  std::lock_guard lock(rooms_mutex_);
  const auto it = rooms_.find(code);
  return it == rooms_.end() ? nullptr : it->second;
}

void app::send(const std::shared_ptr<net::connection>& c, const json& msg) {
  c->send(std::make_shared<const std::string>(protocol::dump(msg)));
}

void app::send_error(const std::shared_ptr<net::connection>& c, const std::optional<std::string>& id, error_code code,
                     std::string message) {
  metrics_.errors++;
  send(c, protocol::error_reply(id, {code, std::move(message)}));
}

std::string app::address_hash(const std::string& remote_address) const {
  // Cut to 15 hex digits (60 bits): fits std::string's inline buffer, so no allocation per
  // connection; two addresses sharing a limit by chance is harmless.
  return crypto::hmac_sha256_hex(address_key_, remote_address).substr(0, 15);
}

void app::on_open(const std::shared_ptr<net::connection>& c) {
  c->user_data = std::make_shared<client>(address_hash(c->remote_address()), options_.limits, steady_now());
  metrics_.unjoined++;
}

void app::on_close(const std::shared_ptr<net::connection>& c) {
  auto cl = std::static_pointer_cast<client>(c->user_data);
  if (!cl) return;
  switch (cl->role) {
    case client::kind::participant:
    case client::kind::projector:
      if (cl->room) cl->room->leave(c);
      break;
    case client::kind::facilitator:
      metrics_.facilitators--;
      for (auto& w : cl->consoles)
        if (auto r = w.lock()) r->leave(c);
      break;
    case client::kind::none:
      metrics_.unjoined--;
      break;
  }
  c->user_data.reset();
}

void app::on_binary(const std::shared_ptr<net::connection>& c) {
  send_error(c, std::nullopt, error_code::bad_message, "binary frames are not part of the protocol; send JSON text");
}

void app::on_text(const std::shared_ptr<net::connection>& c, std::string text) {
  metrics_.requests++;
  auto cl = std::static_pointer_cast<client>(c->user_data);
  if (!cl) return;
  const auto p = protocol::parse(text);
  // Every frame counts, bad ones too; the reply still echoes the id when there is one.
  if (!cl->messages.take(steady_now())) {
    metrics_.limited++;
    return send_error(
        c, p.id, error_code::rate_limited,
        "more than " + std::to_string(options_.limits.messages_per_second) + " messages a second; slow down");
  }
  if (p.err) return send_error(c, p.id, p.err->code, p.err->message);
  handle(c, *cl, p);
}

void app::handle(const std::shared_ptr<net::connection>& c, client& cl, const protocol::parsed& p) {
  const auto& id = p.id;
  using kind = client::kind;
  const auto facilitator_only = [&]() -> bool {
    if (cl.role == kind::facilitator) return true;
    send_error(c, id, error_code::unauthorized,
               cl.role == kind::none ? "send host with the facilitator key first" : "only the facilitator may do that");
    return false;
  };
  // Subscribes this console to a room and hands it the command.
  const auto to_room = [&](const std::string& code, protocol::message m) {
    auto r = find(code);
    if (!r) return send_error(c, id, error_code::unknown_code, "no session has the code " + protocol::dump(json(code)));
    bool known = false;
    for (auto& w : cl.consoles) known = known || w.lock() == r;
    if (!known) cl.consoles.push_back(r);
    r->facilitator_request(c, std::move(m), id);
  };

  std::visit(overloaded{
                 [&](const protocol::join& j) {
                   if (cl.role == kind::participant) {
                     // The same join again just answers joined; anything else is a second role.
                     if (j.code == cl.code && cl.room->voter_key(j.token) == cl.voter)
                       return cl.room->join(c, cl.voter, id);
                     return send_error(c, id, error_code::bad_message, "this connection already joined a session");
                   }
                   if (cl.role != kind::none)
                     return send_error(c, id, error_code::bad_message, "this connection already has a role");
                   if (join_limited(cl))
                     return send_limited(c, id, "too many wrong codes; wait a minute, then try again");
                   auto r = is_code(j.code) ? find(j.code) : nullptr;
                   if (!r) return wrong_code(c, cl, id);
                   cl.role = kind::participant;
                   cl.room = r;
                   cl.code = j.code;
                   cl.voter = r->voter_key(j.token);
                   r->join(c, cl.voter, id);
                 },
                 [&](const protocol::watch& w) {
                   if (cl.role == kind::projector && w.code == cl.code) return cl.room->watch(c, id);
                   if (cl.role != kind::none)
                     return send_error(c, id, error_code::bad_message, "this connection already has a role");
                   if (join_limited(cl))
                     return send_limited(c, id, "too many wrong codes; wait a minute, then try again");
                   auto r = is_code(w.code) ? find(w.code) : nullptr;
                   if (!r) return wrong_code(c, cl, id);
                   cl.role = kind::projector;
                   cl.room = r;
                   cl.code = w.code;
                   r->watch(c, id);
                 },
                 [&](const protocol::host& h) {
                   if (cl.role != kind::none && cl.role != kind::facilitator)
                     return send_error(c, id, error_code::bad_message, "this connection already has a role");
                   // A limited address is refused even with the right key: the limit tells nothing.
                   if (key_failures_.limited(cl.address, steady_now()))
                     return send_limited(c, id, "too many wrong keys from this network; wait a minute");
                   if (!crypto::constant_time_equal(h.key, options_.key)) {
                     key_failures_.record(cl.address, steady_now());
                     return send_error(c, id, error_code::unauthorized, "wrong facilitator key");
                   }
                   if (cl.role == kind::none) {
                     cl.role = kind::facilitator;
                     metrics_.unjoined--;
                     metrics_.facilitators++;
                   }
                   json msg = hosting();
                   if (id) msg["id"] = *id;
                   send(c, msg);
                 },
                 [&](const protocol::vote& v) {
                   if (cl.role != kind::participant)
                     return send_error(c, id, cl.role == kind::none ? error_code::not_joined : error_code::unauthorized,
                                       cl.role == kind::none ? "join a session first" : "only participants vote");
                   cl.room->participant_request(c, cl.voter, v, id);
                 },
                 [&](const protocol::perspective& x) {
                   if (cl.role != kind::participant)
                     return send_error(
                         c, id, cl.role == kind::none ? error_code::not_joined : error_code::unauthorized,
                         cl.role == kind::none ? "join a session first" : "only participants post perspectives");
                   cl.room->participant_request(c, cl.voter, x, id);
                 },
                 [&](const protocol::endorse& x) {
                   if (cl.role != kind::participant)
                     return send_error(c, id, cl.role == kind::none ? error_code::not_joined : error_code::unauthorized,
                                       cl.role == kind::none ? "join a session first" : "only participants endorse");
                   cl.room->participant_request(c, cl.voter, x, id);
                 },
                 [&](const protocol::start& s) {
                   if (facilitator_only()) start_session(c, cl, s, id);
                 },
                 [&](const protocol::purge& x) {
                   if (facilitator_only()) purge_session(c, x.code, id);
                 },
                 [&](const protocol::attach& x) {
                   if (facilitator_only()) to_room(x.code, x);
                 },
                 [&](const protocol::goto_stage& x) {
                   if (facilitator_only()) to_room(x.code, x);
                 },
                 [&](const protocol::open& x) {
                   if (facilitator_only()) to_room(x.code, x);
                 },
                 [&](const protocol::close& x) {
                   if (facilitator_only()) to_room(x.code, x);
                 },
                 [&](const protocol::reveal& x) {
                   if (facilitator_only()) to_room(x.code, x);
                 },
                 [&](const protocol::hide& x) {
                   if (facilitator_only()) to_room(x.code, x);
                 },
                 [&](const protocol::moderate& x) {
                   if (facilitator_only()) to_room(x.code, x);
                 },
                 [&](const protocol::end& x) {
                   if (facilitator_only()) to_room(x.code, x);
                 },
             },
             *p.msg);
}

bool app::join_limited(client& cl) {
  // Right codes are refused too while limited, so a guesser learns nothing from the answer.
  const auto now = steady_now();
  return cl.join_failures.limited(now) || join_failures_.limited(cl.address, now);
}

void app::wrong_code(const std::shared_ptr<net::connection>& c, client& cl, const std::optional<std::string>& id) {
  const auto now = steady_now();
  cl.join_failures.record(now);
  join_failures_.record(cl.address, now);
  send_error(c, id, error_code::unknown_code, "no session has that code");
}

void app::send_limited(const std::shared_ptr<net::connection>& c, const std::optional<std::string>& id,
                       std::string message) {
  metrics_.limited++;
  send_error(c, id, error_code::rate_limited, std::move(message));
}

json app::hosting() const {
  json scenarios = json::array();
  for (const auto& s : catalog_) scenarios.push_back({{"id", s.id}, {"title", s.title}, {"summary", s.summary}});
  json sessions = json::array();
  std::vector<room_summary> rows;
  {
    std::lock_guard lock(rooms_mutex_);
    for (const auto& [code, r] : rooms_) rows.push_back(r->summary());
  }
  // Newest first: the console lists what is running now at the top.
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.started_ms > b.started_ms; });
  for (const auto& s : rows)
    sessions.push_back(
        {{"code", s.code}, {"scenario", s.scenario}, {"participants", s.participants}, {"ended", s.ended}});
  return json{{"type", "hosting"}, {"scenarios", std::move(scenarios)}, {"sessions", std::move(sessions)}};
}

std::string app::new_code() {
  // Six random digits never used in this store (ended and purged sessions keep theirs).
  for (;;) {
    auto code = crypto::random_digits(6);
    {
      std::lock_guard lock(rooms_mutex_);
      if (rooms_.count(code)) continue;
    }
    if (!store_.code_used(code)) return code;
  }
}

void app::start_session(const std::shared_ptr<net::connection>& c, client& cl, const protocol::start& s,
                        const std::optional<std::string>& id) {
  const scenario* found = nullptr;
  for (const auto& sc : catalog_)
    if (sc.id == s.scenario) found = &sc;
  if (!found)
    return send_error(c, id, error_code::unknown_scenario,
                      "no scenario has the id " + protocol::dump(json(s.scenario)));
  const auto code = new_code();
  const auto key = crypto::random_bytes(32);
  const auto now = now_ms();
  auto started = make_started(code, *found, options_.min_group, s, now);
  auto r = std::make_shared<room>(ioc_, services_, key, session(started), 1);
  {
    std::lock_guard lock(rooms_mutex_);
    rooms_.emplace(code, r);
  }
  cl.consoles.push_back(r);
  store_.create_session(code, key, now, [](bool) {});
  store_.append_at(code, 1, protocol::dump(events::to_json(started)), [this, c, r, id, code](bool ok) {
    if (ok) return r->started(c, id);
    {
      std::lock_guard lock(rooms_mutex_);
      rooms_.erase(code);
    }
    metrics_.write_failures++;
    send_error(c, id, error_code::internal, "could not store the new session; try again");
  });
}

void app::purge_session(const std::shared_ptr<net::connection>& c, const std::string& code,
                        const std::optional<std::string>& id) {
  auto r = find(code);
  if (!r) return send_error(c, id, error_code::unknown_code, "no session has the code " + protocol::dump(json(code)));
  if (!r->summary().ended) return send_error(c, id, error_code::bad_message, "end the session before purging it");
  store_.purge(code);
  {
    std::lock_guard lock(rooms_mutex_);
    rooms_.erase(code);
  }
  r->shutdown();
  send(c, protocol::ack(id));
}

// ----- HTTP -----

net::http_reply app::on_http(const net::http_request& req, const std::string& remote_address) {
  // The export API takes the facilitator key too: the same 5 wrong keys a minute per address
  // as `host`, and the same refusal of right keys while limited.
  const std::string target(req.target().substr(0, req.target().find('?')));
  if (target.rfind("/api/", 0) != 0) return on_http(req);
  const auto address = address_hash(remote_address);
  if (key_failures_.limited(address, steady_now())) {
    metrics_.limited++;
    auto r = plain(429, "too many wrong keys from this network; wait a minute\n");
    r.headers.emplace_back("Retry-After", std::to_string(options_.limits.failure_window.count()));
    return r;
  }
  auto r = on_http(req);
  if (r.status == 401) key_failures_.record(address, steady_now());
  return r;
}

net::http_reply app::on_http(const net::http_request& req) {
  namespace http = boost::beast::http;
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    auto r = plain(405, "only GET and HEAD are served here\n");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  std::string target(req.target());
  if (const auto q = target.find('?'); q != std::string::npos) target.resize(q);

  if (target == "/healthz") {
    net::http_reply r;
    r.content_type = "application/json";
    r.body = R"({"status":"ok"})";
    return r;
  }
  if (target == "/metrics") return metrics_page();
  const std::string api = "/api/sessions/";
  if (target.rfind(api, 0) == 0) {
    const auto rest = target.substr(api.size());
    const auto slash = rest.find('/');
    if (slash != std::string::npos) {
      const auto code = rest.substr(0, slash);
      const auto file = rest.substr(slash + 1);
      if (file == "export.json" || file == "export.csv") return export_page(req, code, file == "export.csv");
    }
    return plain(404, "not found\n");
  }
  if (target == "/" || (target.rfind("/j/", 0) == 0 && is_code(target.substr(3))))
    return web_page(req, "participant.html");
  if (target == "/host") return web_page(req, "host.html");
  if (target.rfind("/present/", 0) == 0 && is_code(target.substr(9))) return web_page(req, "present.html");
  if (target.rfind("/assets/", 0) == 0) return web_page(req, target.substr(8));
  if (target.rfind("/qr/", 0) == 0 && target.size() == 4 + 6 + 4 && target.substr(10) == ".svg")
    return qr_page(target.substr(4, 6));
  return plain(404, "not found\n");
}

net::http_reply app::web_page(const net::http_request& req, std::string_view name) const {
  auto a = assets_.get(name);
  if (!a) return plain(404, "not found\n");
  net::http_reply r;
  // Revalidate every time (cheap: an unchanged file is a 304), so a new build is never half-cached.
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("ETag", a->etag);
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  // The pages may load and connect to this server only: nothing ever leaves a closed classroom network.
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'self'; connect-src 'self'; img-src 'self'; style-src 'self'; "
                         "script-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
  r.content_type = a->content_type;
  if (req[boost::beast::http::field::if_none_match] == a->etag) {
    r.status = 304;
    return r;
  }
  r.body = std::move(a->body);
  return r;
}

net::http_reply app::qr_page(const std::string& code) const {
  if (!is_code(code) || !find(code)) return plain(404, "no session has that code\n");
  auto svg = qr_svg(services_.base_url + "/j/" + code);
  if (!svg) return plain(500, "the join link is too long for a QR code\n");
  net::http_reply r;
  r.content_type = "image/svg+xml";
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.body = std::move(*svg);
  return r;
}

net::http_reply app::metrics_page() const {
  const auto st = store_.stats();
  std::ostringstream o;
  const auto gauge = [&](const char* name, const char* help, auto value, const char* type = "gauge") {
    o << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n" << name << " " << value << "\n";
  };
  o << "# HELP roundtable_connections Open WebSocket connections by role.\n"
       "# TYPE roundtable_connections gauge\n"
    << "roundtable_connections{role=\"participant\"} " << metrics_.participants.load() << "\n"
    << "roundtable_connections{role=\"projector\"} " << metrics_.projectors.load() << "\n"
    << "roundtable_connections{role=\"facilitator\"} " << metrics_.facilitators.load() << "\n"
    << "roundtable_connections{role=\"none\"} " << metrics_.unjoined.load() << "\n";
  gauge("roundtable_sessions", "Sessions in the store (running and ended).", sessions());
  gauge("roundtable_ballots_total", "Votes acked.", metrics_.ballots.load(), "counter");
  gauge("roundtable_perspectives_total", "Perspectives acked.", metrics_.perspectives.load(), "counter");
  gauge("roundtable_requests_total", "Client frames received.", metrics_.requests.load(), "counter");
  gauge("roundtable_errors_total", "Error replies sent.", metrics_.errors.load(), "counter");
  gauge("roundtable_pushes_total", "Push messages serialised (once per audience).", metrics_.pushes.load(), "counter");
  gauge("roundtable_limited_total", "Requests refused with rate_limited.", metrics_.limited.load(), "counter");
  gauge("roundtable_dropped_total", "Requests answered internal because a write failed.",
        metrics_.write_failures.load(), "counter");
  gauge("roundtable_store_commits_total", "SQLite transactions committed.", st.commits, "counter");
  gauge("roundtable_store_writes_total", "Writes committed.", st.writes_committed, "counter");
  gauge("roundtable_store_write_failures_total", "Writes that failed.", st.writes_failed, "counter");
  gauge("roundtable_store_batch_max", "Largest group-commit batch so far.", st.max_batch);
  gauge("roundtable_store_queued", "Writes waiting for the SQLite writer now.", st.queued);
  // Prometheus histograms: cumulative buckets, +Inf equal to the count.
  const auto histogram = [&](const char* name, const char* help, const auto& bounds, double scale, const auto& buckets,
                             double sum) {
    o << "# HELP " << name << " " << help << "\n# TYPE " << name << " histogram\n";
    for (std::size_t i = 0; i < bounds.size(); ++i)
      o << name << "_bucket{le=\"" << static_cast<double>(bounds[i]) * scale << "\"} " << buckets[i] << "\n";
    o << name << "_bucket{le=\"+Inf\"} " << buckets.back() << "\n"
      << name << "_sum " << sum << "\n"
      << name << "_count " << buckets.back() << "\n";
  };
  histogram("roundtable_commit_seconds", "Time from BEGIN to the end of COMMIT of one group-commit batch.",
            store::commit_latency_bounds_ms, 1e-3, st.commit_latency_buckets,
            static_cast<double>(st.commit_latency_us_sum) / 1e6);
  histogram("roundtable_commit_batch_writes", "Writes in one group-commit batch.", store::batch_size_bounds, 1.0,
            st.batch_size_buckets, static_cast<double>(st.writes_committed + st.writes_failed));
  net::http_reply r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = o.str();
  return r;
}

net::http_reply app::export_page(const net::http_request& req, const std::string& code, bool csv) {
  const auto auth = req[boost::beast::http::field::authorization];
  const std::string bearer = "Bearer ";
  if (auth.size() <= bearer.size() || auth.substr(0, bearer.size()) != bearer ||
      !crypto::constant_time_equal(auth.substr(bearer.size()), options_.key)) {
    auto r = plain(401, "send the facilitator key as Authorization: Bearer KEY\n");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  auto e = is_code(code) ? export_session(store_, code) : std::nullopt;
  if (!e) return plain(404, "no session has that code\n");
  net::http_reply r;
  r.headers.emplace_back("Content-Disposition",
                         "attachment; filename=\"roundtable-" + code + (csv ? ".csv\"" : ".json\""));
  if (csv) {
    r.content_type = "text/csv; charset=utf-8";
    r.body = export_csv(*e);
  } else {
    r.content_type = "application/json";
    r.body = e->dump(2);
  }
  return r;
}

}  // namespace roundtable::facilitator
