// The server's operator log: one line per event on stderr, with a timestamp and a level, as text or as one
// JSON object per line (--log-format json) for log shippers. Callers pass what an operator needs (a session
// code, a count, a reason), never a token, key, client address or ballot.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace roundtable::facilitator::log {

enum class level { info, warning, error };
enum class format { text, json };

/// Extra fields of a line, e.g. {{"code", "123456"}}; values are written as JSON strings.
using fields = std::vector<std::pair<std::string, std::string>>;

/// Chooses the format of every later line (text until set); call before the server's threads start.
void set_format(format f);

/// Writes one line: timestamp, level, event name (e.g. "session_started"), message, fields. Thread-safe.
void write(level l, std::string_view event, std::string_view message, const fields& extra = {});

}  // namespace roundtable::facilitator::log
