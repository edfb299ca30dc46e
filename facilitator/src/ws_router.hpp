// The WebSocket side of the facilitator: gives each connection a role and routes its frames to rooms.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "address_limits.hpp"
#include "authenticator.hpp"
#include "metrics.hpp"
#include "net/handler.hpp"
#include "request.hpp"
#include "room_registry.hpp"
#include "roundtable/scenario.hpp"
#include "scenario_library.hpp"

namespace roundtable::facilitator {

/// What the router needs to know of the server's settings.
struct router_options {
  int min_group = 3;   // the server's anonymity threshold
  rate_limits limits;  // per connection and per address (protocol.md "Limits")
};

class ws_router {
public:
  ws_router(router_options options, authenticator& auth, scenario_library& library, metrics& m, room_registry& rooms,
            address_limits& limits);

  /// A new connection: no role yet, a fresh message bucket.
  void on_open(const std::shared_ptr<net::connection>& c);
  /// One frame: rate-limited, parsed, then served by its role's rules.
  void on_text(const std::shared_ptr<net::connection>& c, std::string text);
  /// Binary frames are not part of the protocol: answered bad_message.
  void on_binary(const std::shared_ptr<net::connection>& c);
  /// The connection is gone: its rooms forget it.
  void on_close(const std::shared_ptr<net::connection>& c);

private:
  struct client;
  using conn = std::shared_ptr<net::connection>;
  using request_id = std::optional<std::string>;

  /// Takes a token for one frame (text, or empty for a binary one) before it is parsed; false
  /// once it is answered rate_limited, or the connection closed for staying over the rate.
  bool charge(const conn& c, client& cl, std::string_view frame);
  void dispatch(const conn& c, client& cl, request r, const request_id& id);
  void join(const conn& c, client& cl, const protocol::join& j, const request_id& id);
  void watch(const conn& c, client& cl, const protocol::watch& w, const request_id& id);
  void host(const conn& c, client& cl, const protocol::host& h, const request_id& id);
  void participant(const conn& c, client& cl, participant_request r, const request_id& id);
  /// Subscribes this console to the command's room and hands the command to it.
  void command(const conn& c, client& cl, room_command cmd, const request_id& id);
  void start_session(const conn& c, client& cl, const protocol::start& s, const request_id& id);
  /// The case a start names or carries, or nothing once the refusal is sent.
  std::optional<scenario> case_to_start(const conn& c, const principal& p, const protocol::start& s,
                                        const request_id& id);
  // Saved cases (ws_router_cases.cpp).
  void save_case(const conn& c, const principal& p, const protocol::scenario_save& m, const request_id& id);
  void get_case(const conn& c, const principal& p, const protocol::scenario_get& m, const request_id& id);
  void delete_case(const conn& c, const principal& p, const protocol::scenario_delete& m, const request_id& id);
  /// Answers a refused case: its error, with `details` (path and rule each) when it has any.
  void send_refusal(const conn& c, const request_id& id, const case_refusal& r);
  void purge_session(const conn& c, const principal& p, const std::string& code, const request_id& id);
  /// True for a facilitator whose key still works; otherwise answers unauthorized (and closes the
  /// connection of a key revoked, replaced or ended since its `host`).
  bool facilitator_only(const conn& c, const client& cl, const request_id& id);
  // Who may do what (ws_router_scope.cpp).
  /// True for the admin's or a facilitator's key; a co-host's is answered unauthorized.
  bool not_cohost(const conn& c, const principal& p, const request_id& id);
  /// The room of a code p may drive, or null once unknown_code is sent: another facilitator's
  /// session is answered exactly as one that does not exist.
  std::shared_ptr<room> room_for(const conn& c, const principal& p, const std::string& code, const request_id& id);
  /// cohost_key: a key that drives this one running session, for its owner or the admin.
  void mint_cohost_key(const conn& c, const principal& p, const protocol::cohost_key& m, const request_id& id);
  /// The room a join or watch names, or null once the refusal is sent (a role already, limited, wrong code).
  std::shared_ptr<room> room_to_enter(const conn& c, client& cl, const std::string& code, const request_id& id);
  /// Counts a join or watch on this connection; false once the refusal is sent (too many in the window).
  bool join_allowed(const conn& c, client& cl, const request_id& id);
  /// True while this connection or its address has used up its wrong join codes.
  bool join_limited(client& cl);
  /// Counts a wrong join code (connection and address) and answers unknown_code.
  void wrong_code(const conn& c, client& cl, const request_id& id);
  /// Answers rate_limited and counts it for /metrics.
  void send_limited(const conn& c, const request_id& id, std::string message);
  void send(const conn& c, const nlohmann::json& msg);
  void send_error(const conn& c, const request_id& id, error_code code, std::string message);
  /// The `hosting` reply for p: the cases and the sessions (newest first) it may see, and its role.
  nlohmann::json hosting(const principal& p) const;

  router_options options_;
  authenticator& auth_;
  scenario_library& library_;
  metrics& metrics_;
  room_registry& rooms_;
  address_limits& limits_;
};

}  // namespace roundtable::facilitator
