// The facilitator application: routes frames and HTTP requests to rooms, owns the registry.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "metrics.hpp"
#include "net/handler.hpp"
#include "rate_limit.hpp"
#include "room.hpp"
#include "roundtable/scenario.hpp"
#include "web_assets.hpp"

namespace roundtable::store {
class event_store;
}

namespace roundtable::facilitator {

struct app_options {
  std::string key;       // the facilitator key
  int min_group = 3;     // the server's anonymity threshold
  std::string web_root;  // serve the web pages from this folder; empty: the embedded copy
  rate_limits limits;    // per connection and per address (protocol.md "Limits")
};

class app final : public net::handler {
public:
  /// Rebuilds every stored session; throws if the store holds a session that cannot be replayed.
  app(boost::asio::io_context& ioc, store::event_store& store, std::vector<scenario> catalog, app_options options);

  void on_open(const std::shared_ptr<net::connection>& c) override;
  void on_text(const std::shared_ptr<net::connection>& c, std::string text) override;
  void on_binary(const std::shared_ptr<net::connection>& c) override;
  void on_close(const std::shared_ptr<net::connection>& c) override;
  net::http_reply on_http(const net::http_request& req) override;
  /// Rate-limits wrong keys on the export API per address, then answers as on_http(req).
  net::http_reply on_http(const net::http_request& req, const std::string& remote_address) override;

  /// How participants reach the server (join links); call before serving.
  void set_base_url(std::string url) { services_.base_url = std::move(url); }
  /// Stops every room's timers (server shutdown).
  void shutdown();
  std::size_t sessions() const;
  const facilitator::metrics& counters() const { return metrics_; }

private:
  struct client;
  void handle(const std::shared_ptr<net::connection>& c, client& cl, const protocol::parsed& p);
  void start_session(const std::shared_ptr<net::connection>& c, client& cl, const protocol::start& s,
                     const std::optional<std::string>& id);
  void purge_session(const std::shared_ptr<net::connection>& c, const std::string& code,
                     const std::optional<std::string>& id);
  void send(const std::shared_ptr<net::connection>& c, const nlohmann::json& msg);
  void send_error(const std::shared_ptr<net::connection>& c, const std::optional<std::string>& id, error_code code,
                  std::string message);
  std::shared_ptr<room> find(const std::string& code) const;
  /// The rate limits' key for a peer address: a keyed hash, never the address.
  std::string address_hash(const std::string& remote_address) const;
  /// True while this connection or its address has used up its wrong join codes.
  bool join_limited(client& cl);
  /// Counts a wrong join code (connection and address) and answers unknown_code.
  void wrong_code(const std::shared_ptr<net::connection>& c, client& cl, const std::optional<std::string>& id);
  /// Answers rate_limited and counts it for /metrics.
  void send_limited(const std::shared_ptr<net::connection>& c, const std::optional<std::string>& id,
                    std::string message);
  nlohmann::json hosting() const;
  std::string new_code();
  net::http_reply metrics_page() const;
  net::http_reply export_page(const net::http_request& req, const std::string& code, bool csv);
  // One web file (a page or an asset) with its caching headers; 304 when the ETag matches, 404 if unknown.
  net::http_reply web_page(const net::http_request& req, std::string_view name) const;
  // The QR code of a session's join link as SVG; 404 for a code without a session.
  net::http_reply qr_page(const std::string& code) const;

  boost::asio::io_context& ioc_;
  store::event_store& store_;
  std::vector<scenario> catalog_;
  app_options options_;
  facilitator::metrics metrics_;
  room_services services_;
  web_assets assets_;

  mutable std::mutex rooms_mutex_;
  std::map<std::string, std::shared_ptr<room>> rooms_;

  // Rate limiting (rate_limit.hpp): keyed by an HMAC of the address under a key made at start
  // and never written down, so the tables hold no address and die with the process.
  std::string address_key_;
  failure_table join_failures_;
  failure_table key_failures_;
};

}  // namespace roundtable::facilitator
