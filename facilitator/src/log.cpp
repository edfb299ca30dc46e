#include "log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

#include <nlohmann/json.hpp>

namespace roundtable::facilitator::log {

namespace {

format chosen = format::text;
std::mutex out_mutex;

const char* name(level l) {
  switch (l) {
    case level::info:
      return "info";
    case level::warning:
      return "warning";
    case level::error:
      return "error";
  }
  return "info";
}

// RFC 3339 in UTC with milliseconds: 2026-12-04T20:05:00.123Z.
std::string timestamp() {
  const auto now = std::chrono::system_clock::now();
  const auto t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[80];  // room for any int the fields could hold, so the compiler sees nothing cut off
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

std::string line(level l, std::string_view event, std::string_view message, const fields& extra) {
  if (chosen == format::json) {
    nlohmann::json j{{"time", timestamp()}, {"level", name(l)}, {"event", event}, {"message", message}};
    for (const auto& [k, v] : extra) j[k] = v;
    // Replace, not throw, on invalid UTF-8 (a reason from the OS): a log line must never fail.
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  std::string out = timestamp() + " " + name(l) + " " + std::string(event) + ": " + std::string(message);
  for (const auto& [k, v] : extra) out += " " + k + "=" + v;
  return out + "\n";
}

}  // namespace

void set_format(format f) {
  chosen = f;
}

void write(level l, std::string_view event, std::string_view message, const fields& extra) {
  const auto text = line(l, event, message, extra);
  std::lock_guard lock(out_mutex);
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

}  // namespace roundtable::facilitator::log
