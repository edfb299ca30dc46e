// The HTTP side of the facilitator: a table of routes (health, metrics, exports, pages, QR codes).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "address_limits.hpp"
#include "metrics.hpp"
#include "net/handler.hpp"
#include "room_registry.hpp"
#include "web_assets.hpp"

namespace roundtable::store {
class event_store;
}

namespace roundtable::facilitator {

class http_routes {
public:
  /// key: the facilitator key the export API asks for; window: how long a limited address waits.
  http_routes(std::string key, std::chrono::seconds window, room_services& services, const room_registry& rooms,
              address_limits& limits, web_assets assets);

  /// Answers one request: GET and HEAD by the route table, 405 for other methods, else 404.
  net::http_reply serve(const net::http_request& req) const;
  /// Rate-limits wrong keys on the export API per address, then answers as serve(req).
  net::http_reply serve(const net::http_request& req, const std::string& remote_address) const;

private:
  using handler = net::http_reply (http_routes::*)(const net::http_request& req, std::string_view rest) const;
  /// One row of the table: the path, or a prefix of it, and what serves it (given the rest).
  struct route {
    std::string_view path;
    bool prefix;
    handler serve;
  };
  static const route routes[];

  net::http_reply healthz(const net::http_request& req, std::string_view rest) const;
  net::http_reply metrics_page(const net::http_request& req, std::string_view rest) const;
  net::http_reply session_api(const net::http_request& req, std::string_view rest) const;
  net::http_reply participant_page(const net::http_request& req, std::string_view rest) const;
  net::http_reply join_page(const net::http_request& req, std::string_view rest) const;
  net::http_reply host_page(const net::http_request& req, std::string_view rest) const;
  net::http_reply present_page(const net::http_request& req, std::string_view rest) const;
  net::http_reply asset(const net::http_request& req, std::string_view rest) const;
  net::http_reply qr_page(const net::http_request& req, std::string_view rest) const;

  /// A session's export for the facilitator key (Authorization: Bearer KEY); 401 without it.
  net::http_reply export_page(const net::http_request& req, const std::string& code, bool csv) const;
  /// One web file (a page or an asset) with its caching headers; 304 when the ETag matches, 404 if unknown.
  net::http_reply web_page(const net::http_request& req, std::string_view name) const;

  std::string key_;
  std::chrono::seconds window_;
  room_services& services_;
  const room_registry& rooms_;
  address_limits& limits_;
  web_assets assets_;
};

}  // namespace roundtable::facilitator
