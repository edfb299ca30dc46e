// The facilitator application: the WebSocket router and the HTTP routes over one registry of
// rooms, behind the transport's handler interface.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "address_limits.hpp"
#include "authenticator.hpp"
#include "confidential_reaper.hpp"
#include "http_routes.hpp"
#include "metrics.hpp"
#include "net/handler.hpp"
#include "purge_watch.hpp"
#include "rate_limit.hpp"
#include "room.hpp"
#include "room_registry.hpp"
#include "roundtable/scenario.hpp"
#include "scenario_library.hpp"
#include "trusted_proxies.hpp"
#include "ws_router.hpp"

namespace roundtable::store {
class log_store;
class key_store;
}  // namespace roundtable::store

namespace roundtable::facilitator {

struct app_options {
  std::string key;                                 // the admin key (facilitator keys: the store's key_store)
  int min_group = 3;                               // the server's anonymity threshold
  std::string web_root;                            // serve the web pages from this folder; empty: the embedded copy
  rate_limits limits;                              // per connection and per address (protocol.md "Limits")
  std::vector<std::string> trusted_proxies;        // --trusted-proxy: read X-Forwarded-For from these peers only
  bool metrics_public = false;                     // /metrics without the facilitator key
  std::chrono::minutes confidential_retention{0};  // a confidential session is purged this long after its end
  cluster_link* cluster = nullptr;                 // --nats: see room_services::cluster
};

class app final : public net::handler {
public:
  /// Rebuilds every stored session (and schedules the purge of confidential ones that ended); throws
  /// if the store cannot list them. Cases to start come from library.
  app(boost::asio::io_context& ioc, store::log_store& store, store::key_store& keys, scenario_library& library,
      app_options options);

  void on_open(const std::shared_ptr<net::connection>& c) override { router_.on_open(c); }
  void on_text(const std::shared_ptr<net::connection>& c, std::string text) override {
    router_.on_text(c, std::move(text));
  }
  void on_binary(const std::shared_ptr<net::connection>& c) override { router_.on_binary(c); }
  void on_close(const std::shared_ptr<net::connection>& c) override { router_.on_close(c); }
  net::http_reply on_http(const net::http_request& req) override { return routes_.serve(req); }
  /// Rate-limits wrong keys and join-code probes per client address, then answers as on_http(req).
  net::http_reply on_http(const net::http_request& req, const std::string& remote_address) override {
    return routes_.serve(req, proxies_.client_of(req, remote_address));
  }
  /// The peer, or behind a trusted proxy the client it forwards (trusted_proxies.hpp).
  std::string client_address(const net::http_request& req, const std::string& peer) override {
    return proxies_.client_of(req, peer);
  }

  /// How participants reach the server (join links); call before serving.
  void set_base_url(std::string url) { services_.base_url = std::move(url); }
  /// Stops every room's timers and the waiting purges (server shutdown).
  void shutdown() {
    if (purges_) purges_->shutdown();
    reaper_.shutdown();
    rooms_.shutdown();
  }
  std::size_t sessions() const { return rooms_.size(); }
  const facilitator::metrics& counters() const { return metrics_; }

private:
  facilitator::metrics metrics_;
  room_services services_;
  room_registry rooms_;
  confidential_reaper reaper_;
  address_limits limits_;
  trusted_proxies proxies_;
  authenticator auth_;
  ws_router router_;
  http_routes routes_;
  // --nats: sessions other servers purged leave memory here too. Last: it goes first, before what it uses.
  std::unique_ptr<purge_watch> purges_;
};

}  // namespace roundtable::facilitator
