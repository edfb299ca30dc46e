// The router's saved-case messages (scenario_save, scenario_get, scenario_delete) and the case a
// `start` names or carries: docs/protocol.md, "Saved cases".
#include <iostream>

#include "ws_router.hpp"

namespace roundtable::facilitator {

using nlohmann::json;

namespace {

// A reply with this many details is already more than any editor shows; the rest are counted.
constexpr std::size_t max_details = 500;

// Runs fn, answering `internal` when the store throws (a disk that refuses a write).
template <class F>
auto guarded_store(F fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const std::exception& e) {
    std::cerr << "warning: saved cases: " << e.what() << "\n";
    decltype(fn()) out;
    out.refusal = {{error_code::internal, "the saved cases could not be read or written; try again"}, {}};
    return out;
  }
}

}  // namespace

void ws_router::send_refusal(const conn& c, const request_id& id, const case_refusal& r) {
  metrics_.errors++;
  json reply = protocol::error_reply(id, r.err);
  if (!r.details.empty()) {
    json details = json::array();
    for (std::size_t i = 0; i < r.details.size() && i < max_details; ++i)
      details.push_back({{"path", r.details[i].path}, {"rule", r.details[i].rule}});
    reply["details"] = std::move(details);
    if (r.details.size() > max_details) reply["more_details"] = r.details.size() - max_details;
  }
  send(c, reply);
}

std::optional<scenario> ws_router::case_to_start(const conn& c, const principal& p, const protocol::start& s,
                                                 const request_id& id) {
  if (s.inline_scenario) {
    auto checked = library_.check(*s.inline_scenario);
    if (!checked) send_refusal(c, id, checked.refusal);
    return checked.value;
  }
  std::optional<scenario> found;
  try {
    found = library_.find(s.scenario, case_scope(p));
  } catch (const std::exception& e) {
    std::cerr << "warning: saved cases: " << e.what() << "\n";
    send_error(c, id, error_code::internal, "the saved cases could not be read; try again");
    return std::nullopt;
  }
  if (!found)
    send_error(c, id, error_code::unknown_scenario, "no scenario has the id " + protocol::dump(json(s.scenario)));
  return found;
}

void ws_router::save_case(const conn& c, const principal& p, const protocol::scenario_save& m, const request_id& id) {
  const auto saved = guarded_store([&] { return library_.save(m.scenario, case_owner(p)); });
  if (!saved) return send_refusal(c, id, saved.refusal);
  json reply = protocol::ack(id);
  reply["scenario"] = saved.value->id;
  reply["version"] = saved.value->version;
  send(c, reply);
}

void ws_router::get_case(const conn& c, const principal& p, const protocol::scenario_get& m, const request_id& id) {
  const auto found = guarded_store([&] { return library_.get(m.scenario, case_scope(p)); });
  if (!found) return send_refusal(c, id, found.refusal);
  json reply{{"type", "scenario"}};
  if (id) reply["id"] = *id;
  reply["scenario"] = found.value->file;
  reply["source"] = to_string(found.value->source);
  if (found.value->source == case_source::saved) reply["version"] = found.value->version;
  send(c, reply);
}

void ws_router::delete_case(const conn& c, const principal& p, const protocol::scenario_delete& m,
                            const request_id& id) {
  const auto removed = guarded_store([&] { return library_.remove(m.scenario, case_scope(p)); });
  if (!removed) return send_refusal(c, id, removed.refusal);
  json reply = protocol::ack(id);
  reply["scenario"] = *removed.value;
  send(c, reply);
}

}  // namespace roundtable::facilitator
