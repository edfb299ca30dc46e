#include "event_log.hpp"

#include <nlohmann/json.hpp>

#include "store/event_store.hpp"

namespace roundtable::facilitator {

stored_log read_log(store::event_store& store, const std::string& code) {
  stored_log log;
  for (const auto& payload : store.events(code)) {
    auto e = events::event_from_json(nlohmann::json::parse(payload, nullptr, false));
    if (e)
      log.events.push_back(std::move(*e));
    else if (!log.unreadable)
      log.unreadable = "session " + code + ": " + e.err().message;
  }
  return log;
}

}  // namespace roundtable::facilitator
