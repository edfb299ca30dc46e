// The router's rules for several facilitators: what a principal may drive, and the session-scoped
// co-host key (docs/protocol.md "Several facilitators").
#include "ws_router.hpp"

namespace roundtable::facilitator {

using nlohmann::json;

bool ws_router::not_cohost(const conn& c, const principal& p, const request_id& id) {
  if (p.role != principal::kind::cohost) return true;
  send_error(c, id, error_code::unauthorized, "a co-host key drives its one session and nothing else");
  return false;
}

std::shared_ptr<room> ws_router::room_for(const conn& c, const principal& p, const std::string& code,
                                          const request_id& id) {
  auto r = rooms_.find(code);
  // The same answer, word for word, for a session that is not there and one that is not p's.
  if (r && may_drive(p, r->summary())) return r;
  send_error(c, id, error_code::unknown_code, "no session has the code " + protocol::dump(json(code)));
  return nullptr;
}

void ws_router::mint_cohost_key(const conn& c, const principal& p, const protocol::cohost_key& m,
                                const request_id& id) {
  auto r = room_for(c, p, m.code, id);
  if (!r) return;
  if (r->summary().ended)
    return send_error(c, id, error_code::bad_message, "the session has ended; a co-host key would not work");
  json reply = protocol::ack(id);
  reply["code"] = m.code;
  reply["key"] = auth_.mint_cohost(m.code);
  send(c, reply);
}

}  // namespace roundtable::facilitator
