#include "swarm_stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace roundtable::participant {

latency summarize(std::vector<double> v) {
  latency l;
  if (v.empty()) return l;
  std::sort(v.begin(), v.end());
  const auto rank = [&v](double p) {
    // Nearest rank: the smallest value with at least p of the samples at or below it.
    const auto k = static_cast<std::size_t>(std::ceil(p * static_cast<double>(v.size())));
    return v[std::min(v.size() - 1, k == 0 ? 0 : k - 1)];
  };
  l.count = static_cast<long>(v.size());
  l.p50 = rank(0.50);
  l.p99 = rank(0.99);
  l.max = v.back();
  return l;
}

namespace {

std::string row(const char* name, const latency& l) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "  %-22s %10.1f %10.1f %10.1f %8ld\n", name, l.p50, l.p99, l.max, l.count);
  return buf;
}

double round1(double v) {
  return std::round(v * 10.0) / 10.0;
}

}  // namespace

std::string format_table(const swarm_report& r) {
  std::string s;
  char buf[256];
  std::snprintf(buf, sizeof buf, "swarm: session %s, question %s, min_group %d\n", r.code.c_str(), r.question.c_str(),
                r.min_group);
  s += buf;
  std::snprintf(buf, sizeof buf,
                "  participants %ld, connected %ld, votes sent %ld, acked %ld, errors %ld, disconnects %ld\n",
                r.participants, r.connected, r.sent, r.acked, r.errors, r.disconnects);
  s += buf;
  std::snprintf(
      buf, sizeof buf,
      "  join rate %.0f/s, burst (first vote sent to last ack) %.2f s, progress seen %ld, duration %.1f s%s\n",
      r.join_rate, r.burst_s, r.max_progress, r.duration_s, r.timed_out ? " (TIMED OUT)" : "");
  s += buf;
  s += "  latency (ms)                  p50        p99        max  samples\n";
  s += row("connect+join", r.join);
  s += row("ack (send to ack)", r.ack);
  s += row("vote to results", r.results);
  if (r.total_acks > r.acked) {
    s += row("ack, every ballot", r.ack_all);
    std::snprintf(buf, sizeof buf, "  %ld ballots acked in all: %.0f durable votes/s\n", r.total_acks, r.votes_per_s);
    s += buf;
  }
  if (r.results_missing > 0) {
    std::snprintf(buf, sizeof buf, "  %ld votes saw no results push counting them\n", r.results_missing);
    s += buf;
  }
  for (const auto& [why, n] : r.error_reasons) s += "  " + std::to_string(n) + " x " + why + "\n";
  if (!r.fatal.empty()) s += "  failed: " + r.fatal + "\n";
  return s;
}

nlohmann::json to_json(const swarm_report& r) {
  nlohmann::json reasons = nlohmann::json::object();
  for (const auto& [why, n] : r.error_reasons) reasons[why] = n;
  return {{"participants", r.participants},
          {"connected", r.connected},
          {"acked", r.acked},
          {"errors", r.errors},
          {"disconnects", r.disconnects},
          {"sent", r.sent},
          {"code", r.code},
          {"question", r.question},
          {"min_group", r.min_group},
          {"max_progress", r.max_progress},
          {"results_pushes", r.results_pushes},
          {"results_missing", r.results_missing},
          {"join_rate_per_s", round1(r.join_rate)},
          {"join_p50_ms", round1(r.join.p50)},
          {"join_p99_ms", round1(r.join.p99)},
          {"join_max_ms", round1(r.join.max)},
          {"ack_p50_ms", round1(r.ack.p50)},
          {"ack_p99_ms", round1(r.ack.p99)},
          {"ack_max_ms", round1(r.ack.max)},
          {"results_p50_ms", round1(r.results.p50)},
          {"results_p99_ms", round1(r.results.p99)},
          {"results_max_ms", round1(r.results.max)},
          {"results_samples", r.results.count},
          {"total_acks", r.total_acks},
          {"votes_per_s", std::round(r.votes_per_s)},
          {"ack_all_p50_ms", round1(r.ack_all.p50)},
          {"ack_all_p99_ms", round1(r.ack_all.p99)},
          {"burst_s", std::round(r.burst_s * 1000.0) / 1000.0},
          {"duration_s", std::round(r.duration_s * 1000.0) / 1000.0},
          {"timed_out", r.timed_out},
          {"failure", r.fatal},
          {"error_reasons", reasons}};
}

}  // namespace roundtable::participant
