// A session's durable log read back as events: for the start-up rebuild, a room's reload and exports.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "roundtable/event.hpp"

namespace roundtable::store {
class log_reader;
}

namespace roundtable::facilitator {

/// The events of one session's log, as far as they could be read.
struct stored_log {
  std::vector<events::event> events;      // every payload that parses, in order
  std::optional<std::string> unreadable;  // the first one that does not: which (seq) and why
};

/// Parses stored payloads (in seq order) into events.
stored_log parse_log(const std::vector<std::string>& payloads);

/// Reads a session's log from the store (empty for an unknown code).
stored_log read_log(store::log_reader& store, const std::string& code);

}  // namespace roundtable::facilitator
