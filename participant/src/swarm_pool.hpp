// The swarm's simulated participants: joins at the ramp, one vote each (or --repeat), and what
// each hears from the server, counted in swarm_counters.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <random>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <nlohmann/json.hpp>

#include "swarm_options.hpp"
#include "swarm_push.hpp"
#include "swarm_question.hpp"
#include "swarm_sim.hpp"
#include "swarm_stats.hpp"

namespace roundtable::participant {

/// The simulated participants, each on its own strand with its own connection and token.
class swarm_pool {
public:
  using strand_type = boost::asio::strand<boost::asio::io_context::executor_type>;

  /// What the pool tells the run; every callback runs on some participant's strand.
  struct events {
    std::function<void()> joins_settled;           // the last participant joined or failed
    std::function<void()> round_open;              // the question's round is open
    std::function<void()> answered;                // a ballot acked or refused
    std::function<void()> lost;                    // a joined participant's connection closed
    std::function<void(const push_fields&)> push;  // a progress or results push
  };

  /// The ramp runs on coordinator (the run's strand); opts, counters and question outlive the pool.
  swarm_pool(boost::asio::io_context& ioc, strand_type coordinator, const swarm_options& opts, swarm_counters& counters,
             swarm_question& question, events ev);

  /// Creates the participants and starts joining code at the ramp; runs on the coordinator strand.
  void start(std::string code);
  /// Draws every joined participant's vote moment uniformly in [start, start + window).
  void schedule_votes(std::chrono::steady_clock::time_point start, std::mt19937_64& rng);
  /// When the first join started.
  std::chrono::steady_clock::time_point joins_started() const { return joins_started_; }
  /// Closes every connection; later closes are not counted as failures.
  void close();

private:
  void launch();
  void connect(sim& s);
  void on_closed(sim& s, const std::string& why);
  void on_message(sim& s, std::string_view text);
  void on_frame(sim& s, const nlohmann::json& m);
  void on_joined(sim& s, const nlohmann::json& m);
  void on_stage(sim& s, const nlohmann::json& stage);
  void join_settled();
  void vote(sim& s, std::uint64_t seed);
  void on_ack(sim& s);
  void on_error(sim& s, const nlohmann::json& m);

  boost::asio::io_context& ioc_;
  const swarm_options& opts_;
  swarm_counters& counters_;
  swarm_question& question_;
  events ev_;
  boost::asio::steady_timer ramp_timer_;
  std::string code_;
  std::vector<std::unique_ptr<sim>> sims_;
  std::chrono::steady_clock::time_point joins_started_;
  std::size_t launched_ = 0;  // on the coordinator strand
  std::atomic<int> inflight_{0};
  std::atomic<int> joins_finished_{0};
  std::atomic<bool> closing_{false};
};

}  // namespace roundtable::participant
