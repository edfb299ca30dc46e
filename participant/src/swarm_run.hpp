// One `participant swarm` run: the phases from setting up to done, the participants' pool, the
// facilitator connection (with --key) and the bounded waits that decide when the run is over.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "swarm_host.hpp"
#include "swarm_options.hpp"
#include "swarm_pool.hpp"
#include "swarm_push.hpp"
#include "swarm_question.hpp"
#include "swarm_stats.hpp"
#include "swarm_wait.hpp"

namespace roundtable::participant {

/// The run's coordinator: everything it decides runs on one strand.
class swarm_run {
public:
  /// Where the run is; it only moves forward.
  enum class phase {
    setting_up,  // with --key: the facilitator connection creates the session
    joining,     // participants join at the ramp
    holding,     // everyone joined or failed; --hold seconds pass
    ready,       // waiting for the round to open
    voting,      // votes drawn in the window; waiting for acks, progress and results
    closing,     // --close: waiting for the round's close ack
    done,        // finished: connections closing, the loop stops shortly
  };

  swarm_run(boost::asio::io_context& ioc, swarm_options opts);

  /// Starts everything on the io_context; the loop stops once the run is done.
  void start();
  /// What the run measured (after the loop stopped).
  swarm_report report() const;

private:
  void begin_joins(const std::string& code);
  void on_joins_done();
  void after_hold();
  void on_round_open();
  void check_vote_phase();
  void on_push(const push_fields& p);
  void check_done();
  bool wait_for_progress();
  bool wait_for_results();
  void fail(const std::string& why);
  void finish();
  bool joins_done() const { return phase_ >= phase::ready; }

  boost::asio::io_context& ioc_;
  const swarm_options opts_;
  swarm_pool::strand_type strand_;
  swarm_counters counters_;
  swarm_question question_;
  swarm_pool pool_;
  std::optional<swarm_host> host_;
  boost::asio::steady_timer deadline_;
  // The waits at the end, each bounded: when one runs out the run reports what it saw.
  bounded_wait progress_wait_;  // for a progress push counting every expected ballot
  bounded_wait results_wait_;   // for the results push counting N - min_group + 1
  std::mt19937_64 rng_;
  phase phase_ = phase::setting_up;
  bool round_open_ = false;
  bool timed_out_ = false;
  std::string code_;
  std::string fatal_;
  std::unique_ptr<boost::asio::steady_timer> hold_timer_;
  std::chrono::steady_clock::time_point t0_, end_;
};

}  // namespace roundtable::participant
