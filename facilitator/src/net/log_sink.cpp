#include "net/log_sink.hpp"

#include <cstdio>
#include <string>

namespace roundtable::net {

namespace {

log_sink installed;

}  // namespace

void set_log_sink(log_sink sink) {
  installed = std::move(sink);
}

void report(severity s, std::string_view event, std::string_view message) {
  if (installed) return installed(s, event, message);
  // No application log: one plain line, written at once (fputs is atomic per call with glibc).
  const std::string line = "roundtable net: " + std::string(message) + "\n";
  std::fputs(line.c_str(), stderr);
}

}  // namespace roundtable::net
