// Session exports (JSON and CSV) read from the durable store, for HTTP and the command line.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "roundtable/session.hpp"

namespace roundtable::store {
class event_store;
}

namespace roundtable::facilitator {

/// A session replayed from its stored payloads (in seq order), or nothing when they do not replay.
std::optional<session> replay_stored(const std::vector<std::string>& payloads);

/// A session replayed from the store, or nothing for an unknown (or purged) code.
std::optional<session> stored_session(store::event_store& store, const std::string& code);

/// The session's export as the core shapes it (pseudonyms, thresholds), or nothing for an unknown code.
std::optional<nlohmann::json> export_session(store::event_store& store, const std::string& code);

/// The same export flattened to CSV: one row per ballot, per suppressed round and per perspective.
std::string export_csv(const nlohmann::json& exported);

}  // namespace roundtable::facilitator
