// The swarm's numbers: latency summaries, the counters every participant adds to, the report,
// its table and its JSON line.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace roundtable::participant {

/// Milliseconds from a to b on the steady clock, as the swarm reports every latency.
inline double ms_between(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

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

/// What every simulated participant counts, from any thread (one lock), until the report.
class swarm_counters {
public:
  using clock = std::chrono::steady_clock;

  /// Counters for a run expecting at most max_ballots ballots in a results push.
  explicit swarm_counters(std::size_t max_ballots);

  /// The first join starts (join rate is measured from here).
  void joins_started(clock::time_point t);
  /// A participant joined after ms milliseconds.
  void joined(double ms, clock::time_point now);
  /// The session's min_group, from the facilitator's view (always) or a participant's (when still unknown).
  void set_min_group(int n, bool only_if_unknown);
  /// A connection attempt failed before joining.
  void connect_failed(const std::string& why);
  /// A joined participant's connection closed.
  void disconnected(const std::string& why);
  /// An error reply (or a refused send): counted as an error, with its reason.
  void error(const std::string& reason);
  /// A reason noted without counting an error (the session had ended).
  void note(const std::string& reason);
  /// A ballot left at t.
  void sent(clock::time_point t);
  /// A ballot sent at sent was acked at now; first: the participant's first ballot.
  void acked(bool first, clock::time_point sent, clock::time_point now);
  /// A participant's last ballot was acked.
  void voter_finished();
  /// A progress push counted ballots; true when that is a new maximum.
  bool progress(long ballots);
  /// A results push counted ballots at now; true when it counts more than any before.
  bool results(long ballots, clock::time_point now);

  long joined() const;
  long max_progress() const { return max_progress_.load(); }
  /// Participants no longer waiting for an answer: every ballot acked, refused or cut off.
  long settled() const;
  /// True while no results push has counted the last ballot vote-to-results measures.
  bool results_short() const;

  /// The report's counts and latencies (participants, code, question, duration and the
  /// outcome are the caller's).
  swarm_report report() const;

private:
  mutable std::mutex mutex_;
  int min_group_ = 0;
  long joined_ = 0;
  long errors_ = 0;
  long disconnects_ = 0;
  long connect_failures_ = 0;
  long sent_ = 0;
  long total_acks_ = 0;
  long finished_voters_ = 0;
  long results_pushes_ = 0;
  std::atomic<long> max_progress_{0};
  std::map<std::string, long> error_reasons_;
  std::vector<double> join_ms_, ack_ms_, repeat_ack_ms_;
  std::vector<clock::time_point> acked_sends_;    // in ack order: the k-th acked first ballot
  std::vector<clock::time_point> first_results_;  // [k]: first results push with ballots >= k
  std::size_t max_results_ = 0;
  clock::time_point joins_started_, last_join_, first_send_, last_ack_;
};

/// Prints one line to stderr, prefixed "swarm: " (from any thread).
void swarm_note(const std::string& line);

/// The readable summary table.
std::string format_table(const swarm_report& r);

/// The JSON line of --json: participants, connected, acked, errors, join_p99_ms, ack_p50_ms,
/// ack_p99_ms, results_p50_ms, results_p99_ms, duration_s and the rest.
nlohmann::json to_json(const swarm_report& r);

}  // namespace roundtable::participant
