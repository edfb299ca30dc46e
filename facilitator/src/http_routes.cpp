#include "http_routes.hpp"

#include "export.hpp"
#include "metrics_page.hpp"
#include "qr.hpp"
#include "report.hpp"
#include "store/event_store.hpp"
#include "store/log_store.hpp"

namespace roundtable::facilitator {

namespace {

net::http_reply plain(unsigned status, std::string body) {
  net::http_reply r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

net::http_reply not_found() {
  return plain(404, "not found\n");
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

// Tried in order; a prefix row serves every path under it (404 when it has no such thing).
const http_routes::route http_routes::routes[] = {
    {"/healthz", false, guard::none, &http_routes::healthz},
    {"/livez", false, guard::none, &http_routes::livez},
    {"/metrics", false, guard::metrics, &http_routes::metrics_page},
    {"/api/sessions/", true, guard::key, &http_routes::session_api},
    {"/", false, guard::none, &http_routes::participant_page},
    {"/j/", true, guard::none, &http_routes::join_page},
    {"/host", false, guard::none, &http_routes::host_page},
    {"/present/", true, guard::none, &http_routes::present_page},
    {"/assets/", true, guard::none, &http_routes::asset},
    {"/qr/", true, guard::join_code, &http_routes::qr_page},
};

http_routes::http_routes(route_options options, authenticator& auth, room_services& services,
                         const room_registry& rooms, address_limits& limits, web_assets assets)
    : options_(std::move(options)),
      auth_(auth),
      services_(services),
      rooms_(rooms),
      limits_(limits),
      assets_(std::move(assets)) {}

net::http_reply http_routes::serve(const net::http_request& req) const {
  return serve(req, nullptr);
}

net::http_reply http_routes::serve(const net::http_request& req, const std::string& client_address) const {
  const auto address = limits_.hash(client_address);
  return serve(req, &address);
}

net::http_reply http_routes::serve(const net::http_request& req, const std::string* address) const {
  namespace http = boost::beast::http;
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    auto r = plain(405, "only GET and HEAD are served here\n");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  const std::string_view whole = req.target();
  const std::string_view target = whole.substr(0, whole.find('?'));
  for (const auto& row : routes) {
    if (row.prefix ? starts_with(target, row.path) : target == row.path)
      return guarded(row, req, target.substr(row.path.size()), address);
  }
  return not_found();
}

net::http_reply http_routes::guarded(const route& row, const net::http_request& req, std::string_view rest,
                                     const std::string* address) const {
  switch (row.who) {
    case guard::key:
      return with_key(row, req, rest, address);
    case guard::metrics:
      return options_.metrics_public ? (this->*row.serve)(req, rest) : with_key(row, req, rest, address);
    case guard::join_code:
      return counting_codes(row, req, rest, address);
    case guard::none:
      break;
  }
  return (this->*row.serve)(req, rest);
}

net::http_reply http_routes::with_key(const route& row, const net::http_request& req, std::string_view rest,
                                      const std::string* address) const {
  // Only a key that was sent and is wrong is a guess: a request without one (any web page the
  // facilitator visits can make it) must not use up the address's wrong keys.
  const auto auth = req[boost::beast::http::field::authorization];
  const std::string_view bearer = "Bearer ";
  const bool sent = auth.size() > bearer.size() && auth.substr(0, bearer.size()) == bearer;
  if (sent && address && limits_.key_failures.limited(*address, steady_now()))
    return too_many("too many wrong keys from this network; wait a minute\n");
  const auto who = sent ? auth_.identify(auth.substr(bearer.size())) : std::nullopt;
  if (who) {
    auto refused = refused_for(row, *who, rest);
    return refused ? std::move(*refused) : (this->*row.serve)(req, rest);
  }
  if (sent && address) limits_.key_failures.record(*address, steady_now());
  auto r = plain(401, "send the facilitator key as Authorization: Bearer KEY\n");
  r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

std::optional<net::http_reply> http_routes::refused_for(const route& row, const principal& p,
                                                        std::string_view rest) const {
  if (p.role == principal::kind::admin) return std::nullopt;
  if (row.who == guard::metrics) return plain(403, "only the admin key reads /metrics\n");
  // CODE/...: another facilitator's session is answered as one that does not exist.
  const std::string code(rest.substr(0, rest.find('/')));
  const auto r = is_code(code) ? rooms_.find(code) : nullptr;
  if (r && may_drive(p, r->summary())) return std::nullopt;
  return plain(404, "no session has that code\n");
}

net::http_reply http_routes::counting_codes(const route& row, const net::http_request& req, std::string_view rest,
                                            const std::string* address) const {
  // The same table as wrong codes in join: 60 probes a minute, then right codes are refused too.
  if (address && limits_.join_failures.limited(*address, steady_now()))
    return too_many("too many wrong codes from this network; wait a minute\n");
  auto r = (this->*row.serve)(req, rest);
  if (address && r.status == 404) limits_.join_failures.record(*address, steady_now());
  return r;
}

net::http_reply http_routes::too_many(std::string message) const {
  services_.metrics.limited++;
  auto r = plain(429, std::move(message));
  r.headers.emplace_back("Retry-After", std::to_string(options_.window.count()));
  return r;
}

net::http_reply http_routes::healthz(const net::http_request&, std::string_view) const {
  net::http_reply r;
  r.content_type = "application/json";
  r.headers.emplace_back("Cache-Control", "no-store");
  // Ready means a vote sent now can be acked: not while the store refuses writes (a full disk).
  if (services_.store.stats().failing) {
    r.status = 503;
    r.body = R"({"status":"not ready","reason":"the database refuses writes"})";
    return r;
  }
  r.body = R"({"status":"ok"})";
  return r;
}

net::http_reply http_routes::livez(const net::http_request&, std::string_view) const {
  net::http_reply r;
  r.content_type = "application/json";
  r.headers.emplace_back("Cache-Control", "no-store");
  r.body = R"({"status":"alive"})";
  return r;
}

net::http_reply http_routes::metrics_page(const net::http_request&, std::string_view) const {
  const auto st = services_.store.stats();
  net::http_reply r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = prometheus_text(services_.metrics, rooms_.size(), st);
  return r;
}

net::http_reply http_routes::session_api(const net::http_request& req, std::string_view rest) const {
  // CODE/export.json, CODE/export.csv, CODE/summary.csv or CODE/report.html
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos) return not_found();
  const std::string code(rest.substr(0, slash));
  const auto file = rest.substr(slash + 1);
  if (file == "report.html") return report_page(req, code);
  if (file != "export.json" && file != "export.csv" && file != "summary.csv") return not_found();
  return export_page(req, code, std::string(file));
}

net::http_reply http_routes::participant_page(const net::http_request& req, std::string_view) const {
  return web_page(req, "participant.html");
}

net::http_reply http_routes::join_page(const net::http_request& req, std::string_view rest) const {
  return is_code(rest) ? web_page(req, "participant.html") : not_found();
}

net::http_reply http_routes::host_page(const net::http_request& req, std::string_view) const {
  return web_page(req, "host.html");
}

net::http_reply http_routes::present_page(const net::http_request& req, std::string_view rest) const {
  return is_code(rest) ? web_page(req, "present.html") : not_found();
}

net::http_reply http_routes::asset(const net::http_request& req, std::string_view rest) const {
  return web_page(req, rest);
}

net::http_reply http_routes::qr_page(const net::http_request&, std::string_view rest) const {
  // CODE.svg: the QR code of a session's join link; 404 for a code without a session.
  if (rest.size() != 6 + 4 || rest.substr(6) != ".svg") return not_found();
  const std::string code(rest.substr(0, 6));
  if (!is_code(code) || !rooms_.find(code)) return plain(404, "no session has that code\n");
  auto svg = qr_svg(services_.base_url + "/j/" + code);
  if (!svg) return plain(500, "the join link is too long for a QR code\n");
  net::http_reply r;
  r.content_type = "image/svg+xml";
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.body = std::move(*svg);
  return r;
}

namespace {

// True when the request's query has bom=1 (a CSV for a spreadsheet that needs the byte order mark).
bool wants_bom(const net::http_request& req) {
  const std::string_view target = req.target();
  const auto q = target.find('?');
  if (q == std::string_view::npos) return false;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    if (query.substr(0, amp) == "bom=1") return true;
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
  }
  return false;
}

}  // namespace

net::http_reply http_routes::export_page(const net::http_request& req, const std::string& code,
                                         const std::string& file) const {
  auto e = is_code(code) ? export_session(services_.store, code) : std::nullopt;
  if (!e) return plain(404, "no session has that code\n");
  net::http_reply r;
  const bool summary = file == "summary.csv", csv = summary || file == "export.csv";
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"roundtable-" + code +
                                                    (summary ? "-summary.csv\""
                                                     : csv   ? ".csv\""
                                                             : ".json\""));
  if (csv) {
    r.content_type = "text/csv; charset=utf-8";
    r.body = (wants_bom(req) ? utf8_bom : "") + (summary ? export_summary_csv(*e) : export_csv(*e));
  } else {
    r.content_type = "application/json";
    r.body = e->dump(2);
  }
  return r;
}

net::http_reply http_routes::report_page(const net::http_request&, const std::string& code) const {
  auto s = is_code(code) ? stored_session(services_.store, code) : std::nullopt;
  if (!s) return plain(404, "no session has that code\n");
  net::http_reply r;
  r.content_type = "text/html; charset=utf-8";
  r.headers.emplace_back("Cache-Control", "no-store");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("Content-Security-Policy", report_csp);
  r.body = report_html(*s);
  return r;
}

net::http_reply http_routes::web_page(const net::http_request& req, std::string_view name) const {
  auto a = assets_.get(name);
  if (!a) return not_found();
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

}  // namespace roundtable::facilitator
