#include "swarm_stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>

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

void swarm_note(const std::string& line) {
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  std::cerr << "swarm: " << line << "\n";
}

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

swarm_counters::swarm_counters(std::size_t max_ballots) : first_results_(max_ballots + 2) {}

void swarm_counters::joins_started(clock::time_point t) {
  std::lock_guard lock(mutex_);
  joins_started_ = t;
}

void swarm_counters::joined(double ms, clock::time_point now) {
  std::lock_guard lock(mutex_);
  join_ms_.push_back(ms);
  ++joined_;
  last_join_ = now;
}

void swarm_counters::set_min_group(int n, bool only_if_unknown) {
  std::lock_guard lock(mutex_);
  if (!only_if_unknown || min_group_ == 0) min_group_ = n;
}

void swarm_counters::connect_failed(const std::string& why) {
  std::lock_guard lock(mutex_);
  ++connect_failures_;
  ++error_reasons_["connect: " + why];
}

void swarm_counters::disconnected(const std::string& why) {
  std::lock_guard lock(mutex_);
  ++disconnects_;
  ++error_reasons_["disconnect: " + why];
}

void swarm_counters::error(const std::string& reason) {
  std::lock_guard lock(mutex_);
  ++errors_;
  ++error_reasons_[reason];
}

void swarm_counters::note(const std::string& reason) {
  std::lock_guard lock(mutex_);
  ++error_reasons_[reason];
}

void swarm_counters::sent(clock::time_point t) {
  std::lock_guard lock(mutex_);
  ++sent_;
  if (first_send_ == clock::time_point{}) first_send_ = t;
}

void swarm_counters::acked(bool first, clock::time_point sent, clock::time_point now) {
  std::lock_guard lock(mutex_);
  ++total_acks_;
  last_ack_ = now;
  if (first) {
    ack_ms_.push_back(ms_between(sent, now));
    acked_sends_.push_back(sent);
  } else {
    repeat_ack_ms_.push_back(ms_between(sent, now));
  }
}

void swarm_counters::voter_finished() {
  std::lock_guard lock(mutex_);
  ++finished_voters_;
}

bool swarm_counters::progress(long ballots) {
  long prev = max_progress_.load();
  while (ballots > prev)
    if (max_progress_.compare_exchange_weak(prev, ballots)) return true;
  return false;
}

bool swarm_counters::results(long ballots, clock::time_point now) {
  std::lock_guard lock(mutex_);
  ++results_pushes_;
  const auto b = static_cast<std::size_t>(std::min<long>(ballots, static_cast<long>(first_results_.size()) - 1));
  for (std::size_t k = max_results_ + 1; k <= b; ++k) first_results_[k] = now;
  const bool grew = b > max_results_;
  max_results_ = std::max(max_results_, b);
  return grew;
}

long swarm_counters::joined() const {
  std::lock_guard lock(mutex_);
  return joined_;
}

long swarm_counters::settled() const {
  std::lock_guard lock(mutex_);
  // Participants that failed or got an error count as answered.
  return finished_voters_ + errors_ + disconnects_;
}

bool swarm_counters::results_short() const {
  std::lock_guard lock(mutex_);
  const long want = static_cast<long>(ack_ms_.size()) - std::max(1, min_group_) + 1;
  return want > 0 && static_cast<long>(max_results_) < want;
}

swarm_report swarm_counters::report() const {
  std::lock_guard lock(mutex_);
  swarm_report r;
  r.connected = joined_;
  r.acked = static_cast<long>(ack_ms_.size());
  r.errors = errors_ + connect_failures_;
  r.disconnects = disconnects_;
  r.sent = sent_;
  r.max_progress = max_progress_.load();
  r.results_pushes = results_pushes_;
  r.min_group = min_group_;
  r.error_reasons = error_reasons_;
  r.join = summarize(join_ms_);
  r.ack = summarize(ack_ms_);
  r.total_acks = total_acks_;
  std::vector<double> all = ack_ms_;
  all.insert(all.end(), repeat_ack_ms_.begin(), repeat_ack_ms_.end());
  r.ack_all = summarize(std::move(all));
  const double join_span =
      last_join_ > joins_started_ ? std::chrono::duration<double>(last_join_ - joins_started_).count() : 0;
  r.join_rate = join_span > 0 ? static_cast<double>(joined_) / join_span : 0;
  r.burst_s = last_ack_ > first_send_ && first_send_ != clock::time_point{}
                  ? std::chrono::duration<double>(last_ack_ - first_send_).count()
                  : 0;
  if (r.burst_s > 0) r.votes_per_s = static_cast<double>(total_acks_) / r.burst_s;
  // Vote-to-results: the k-th acked vote (k = 1 .. N - min_group + 1) against the first
  // results push counting at least k ballots.
  std::vector<double> v2r;
  const long upto = std::max<long>(0, static_cast<long>(acked_sends_.size()) - std::max(1, min_group_) + 1);
  for (long k = 1; k <= upto; ++k) {
    const auto& seen = first_results_[static_cast<std::size_t>(k)];
    if (seen == clock::time_point{}) {
      ++r.results_missing;
      continue;
    }
    v2r.push_back(std::max(0.0, ms_between(acked_sends_[static_cast<std::size_t>(k - 1)], seen)));
  }
  r.results = summarize(v2r);
  return r;
}

}  // namespace roundtable::participant
