#include "event_log.hpp"

#include <nlohmann/json.hpp>

#include "store/log_store.hpp"

namespace roundtable::facilitator {

stored_log read_log(store::log_reader& store, const std::string& code) {
  return parse_log(store.events(code));
}

stored_log parse_log(const std::vector<std::string>& payloads) {
  stored_log log;
  std::size_t seq = 0;
  for (const auto& payload : payloads) {
    ++seq;
    const auto j = nlohmann::json::parse(payload, nullptr, false);
    if (j.is_discarded()) {
      if (!log.unreadable) log.unreadable = "event " + std::to_string(seq) + " is not JSON";
      continue;
    }
    auto e = events::event_from_json(j);
    if (e)
      log.events.push_back(std::move(*e));
    else if (!log.unreadable)
      log.unreadable = "event " + std::to_string(seq) + ": " + e.err().message;
  }
  return log;
}

}  // namespace roundtable::facilitator
