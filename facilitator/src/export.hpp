// Session exports (JSON and CSV) read from the durable store, for HTTP and the command line.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace roundtable::store {
class log_store;
}

namespace roundtable::facilitator {

/// The session's export as the core shapes it (pseudonyms, thresholds), or nothing for an unknown code.
std::optional<nlohmann::json> export_session(store::log_store& store, const std::string& code);

/// The same export flattened to CSV: one row per ballot, per suppressed round and per perspective.
std::string export_csv(const nlohmann::json& exported);

}  // namespace roundtable::facilitator
