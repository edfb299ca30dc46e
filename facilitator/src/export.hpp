// Session exports (JSON and CSV) read from the durable store, for HTTP and the command line.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "roundtable/session.hpp"

namespace roundtable::store {
class log_reader;
}

namespace roundtable::facilitator {

/// A session replayed from its stored payloads (in seq order), or nothing when they do not replay.
std::optional<session> replay_stored(const std::vector<std::string>& payloads);

/// A session replayed from the store, or nothing for an unknown (or purged) code.
std::optional<session> stored_session(store::log_reader& store, const std::string& code);

/// The session's export as the core shapes it (pseudonyms, thresholds), or nothing for an unknown code.
std::optional<nlohmann::json> export_session(store::log_reader& store, const std::string& code);

/// The same export flattened to CSV: one row per ballot, per suppressed round and per perspective.
std::string export_csv(const nlohmann::json& exported);

/// Per question and round, the published counts as CSV (`session,question,type,round,ballots,measure,value`):
/// one row per number of the round's tally (`counts.refer`, `histogram.3`, `totals.justice`, ...), or one
/// `suppressed` row with the ballot count alone for a round below min_group, like the live tallies.
std::string export_summary_csv(const nlohmann::json& exported);

/// The UTF-8 byte order mark, which tells a spreadsheet (Excel) that a CSV file is UTF-8.
inline constexpr const char* utf8_bom = "\xEF\xBB\xBF";

}  // namespace roundtable::facilitator
