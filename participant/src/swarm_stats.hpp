// The swarm's numbers: latency summaries, the report, its table and its JSON line.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace roundtable::participant {

/// p50 / p99 / max of a set of latencies, in milliseconds (nearest rank).
struct latency {
  long count = 0;
  double p50 = 0;
  double p99 = 0;
  double max = 0;
};

/// Summarizes samples (any order); all zero when there are none.
latency summarize(std::vector<double> samples);

/// Everything one swarm run measured.
struct swarm_report {
  long participants = 0;
  long connected = 0;  // joined
  long acked = 0;
  long errors = 0;  // error replies and failed connections
  long disconnects = 0;
  long sent = 0;
  long total_acks = 0;  // every ballot acked, --repeat included
  long max_progress = 0;
  long results_pushes = 0;
  long results_missing = 0;  // votes k with no results push counting k ballots
  int min_group = 0;
  bool timed_out = false;
  std::string fatal;
  std::string code;
  std::string question;
  std::map<std::string, long> error_reasons;
  latency join, ack, results;
  latency ack_all;         // every ballot's ack, --repeat included
  double join_rate = 0;    // joins completed per second
  double burst_s = 0;      // first vote sent to last ack
  double votes_per_s = 0;  // total_acks / burst_s
  double duration_s = 0;
};

/// The readable summary table.
std::string format_table(const swarm_report& r);

/// The JSON line of --json: participants, connected, acked, errors, join_p99_ms, ack_p50_ms,
/// ack_p99_ms, results_p50_ms, results_p99_ms, duration_s and the rest.
nlohmann::json to_json(const swarm_report& r);

}  // namespace roundtable::participant
