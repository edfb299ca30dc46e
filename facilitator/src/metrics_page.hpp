// The /metrics page: the counters, the sessions held and the store's statistics as Prometheus text.
#pragma once

#include <cstddef>
#include <string>

#include "metrics.hpp"

namespace roundtable::store {
struct store_stats;
}

namespace roundtable::facilitator {

/// The Prometheus text exposition (format 0.0.4) of everything /metrics reports.
std::string prometheus_text(const metrics& m, std::size_t sessions, const store::store_stats& st);

}  // namespace roundtable::facilitator
