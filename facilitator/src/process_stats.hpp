// The process's own resource use, read from /proc/self for /metrics (Prometheus' process_* names).
#pragma once

#include <cstdint>

namespace roundtable::facilitator {

struct process_stats {
  std::uint64_t resident_bytes = 0;  // /proc/self/statm: resident pages times the page size
  std::uint64_t open_fds = 0;        // entries of /proc/self/fd
  double cpu_seconds = 0;            // /proc/self/stat: user plus system time
};

/// Reads the numbers now; a value that cannot be read stays 0.
process_stats read_process_stats();

}  // namespace roundtable::facilitator
