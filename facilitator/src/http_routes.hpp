// The HTTP side of the facilitator: a table of routes (health, metrics, exports, the report, pages, QR codes).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "address_limits.hpp"
#include "authenticator.hpp"
#include "metrics.hpp"
#include "net/handler.hpp"
#include "room_registry.hpp"
#include "web_assets.hpp"

namespace roundtable::store {
class log_store;
}

namespace roundtable::facilitator {

/// What the routes need of the server's settings.
struct route_options {
  std::chrono::seconds window;  // how long a limited address waits (Retry-After)
  bool metrics_public = false;  // --metrics-public: /metrics without the key
};

class http_routes {
public:
  http_routes(route_options options, authenticator& auth, room_services& services, const room_registry& rooms,
              address_limits& limits, web_assets assets);

  /// Answers one request: GET and HEAD by the route table, 405 for other methods, else 404.
  net::http_reply serve(const net::http_request& req) const;
  /// The same, counting wrong keys and QR probes of unknown codes against the client's address.
  net::http_reply serve(const net::http_request& req, const std::string& client_address) const;

private:
  using handler = net::http_reply (http_routes::*)(const net::http_request& req, std::string_view rest) const;
  /// Who may use a route, and which failures count against an address.
  enum class guard {
    none,      // anyone
    key,       // a key that may drive the session the path names (CODE/...); a key sent and wrong counts
    metrics,   // the admin key, unless --metrics-public
    join_code  // anyone; a 404 counts as a wrong join code (the page would tell live codes apart)
  };
  /// One row of the table: the path, or a prefix of it, who may use it, and what serves it (given the rest).
  struct route {
    std::string_view path;
    bool prefix;
    guard who;
    handler serve;
  };
  static const route routes[];

  /// serve() with the keyed hash of the client's address, or none (nothing counted).
  net::http_reply serve(const net::http_request& req, const std::string* address) const;
  /// The route's guard, then the route.
  net::http_reply guarded(const route& row, const net::http_request& req, std::string_view rest,
                          const std::string* address) const;
  /// The route for a key: 401 without a key (nothing counted), 429 while the address is limited, 401
  /// for a wrong key (counted); a right key the route is not for: 404 for a session it may not drive
  /// (as for one that does not exist), 403 for /metrics without the admin key.
  net::http_reply with_key(const route& row, const net::http_request& req, std::string_view rest,
                           const std::string* address) const;
  /// The route, 429 while the address is limited on wrong join codes; a 404 counts as one.
  net::http_reply counting_codes(const route& row, const net::http_request& req, std::string_view rest,
                                 const std::string* address) const;
  /// 429 with Retry-After, counted in /metrics.
  net::http_reply too_many(std::string message) const;

  /// Readiness: 200 {"status":"ok"}, or 503 "not ready" while the store refuses writes.
  net::http_reply healthz(const net::http_request& req, std::string_view rest) const;
  /// Liveness: 200 whenever the process answers at all.
  net::http_reply livez(const net::http_request& req, std::string_view rest) const;
  net::http_reply metrics_page(const net::http_request& req, std::string_view rest) const;
  net::http_reply session_api(const net::http_request& req, std::string_view rest) const;
  net::http_reply participant_page(const net::http_request& req, std::string_view rest) const;
  net::http_reply join_page(const net::http_request& req, std::string_view rest) const;
  net::http_reply host_page(const net::http_request& req, std::string_view rest) const;
  net::http_reply present_page(const net::http_request& req, std::string_view rest) const;
  net::http_reply asset(const net::http_request& req, std::string_view rest) const;
  net::http_reply qr_page(const net::http_request& req, std::string_view rest) const;

  /// A session's export (behind the key, by the route's guard).
  /// CODE/export.json, export.csv or summary.csv (the CSVs with a UTF-8 BOM on ?bom=1).
  net::http_reply export_page(const net::http_request& req, const std::string& code, const std::string& file) const;
  /// A session's printable report (behind the key, by the route's guard).
  net::http_reply report_page(const net::http_request& req, const std::string& code) const;
  /// One web file (a page or an asset) with its caching headers; 304 when the ETag matches, 404 if unknown.
  net::http_reply web_page(const net::http_request& req, std::string_view name) const;

  /// Why the route is not for p (a reply), or nothing when it is.
  std::optional<net::http_reply> refused_for(const route& row, const principal& p, std::string_view rest) const;

  route_options options_;
  authenticator& auth_;
  room_services& services_;
  const room_registry& rooms_;
  address_limits& limits_;
  web_assets assets_;
};

}  // namespace roundtable::facilitator
