// The wall clock as the facilitator's commands print it.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <string>

namespace roundtable::facilitator {

/// Milliseconds since the Unix epoch, now.
inline std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// A time (ms since the epoch) as "YYYY-MM-DD HH:MM UTC".
inline std::string utc_minute(std::int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &tm);
  return text;
}

}  // namespace roundtable::facilitator
