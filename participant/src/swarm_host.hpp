// The swarm's facilitator connection (with --key): it hosts, starts the scenario live, moves to
// the question, opens its round once everyone is present, and closes it at the end (--close).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <nlohmann/json.hpp>

#include "client/connection.hpp"
#include "swarm_options.hpp"
#include "swarm_push.hpp"
#include "swarm_question.hpp"
#include "swarm_stats.hpp"

namespace roundtable::participant {

/// Drives one session through its phases; each request waits for the reply carrying its id.
class swarm_host {
public:
  using strand_type = boost::asio::strand<boost::asio::io_context::executor_type>;

  /// Where the session is: each phase past `connecting` waits for the reply to one request.
  enum class phase {
    connecting,  // then: host
    hosting,     // sent host, waiting for hosting; then: start
    starting,    // sent start, waiting for started; then: goto the question
    moving,      // sent goto, waiting for its ack; then the participants join
    joining,     // the participants join; open_when_present() moves on
    gathering,   // waiting for --open-at participants to be present (20 s at most)
    opening,     // sent open, waiting for its ack
    open,        // the round is open: the participants vote
    closing,     // sent close, waiting for its ack
    done,        // the round closed, or the connection failed
  };

  /// What the host tells the run; every callback runs on the run's strand.
  struct events {
    std::function<void(const std::string& code)> ready;  // the question is the stage: join code now
    std::function<void()> opened;                        // the round is open
    std::function<void()> closed;                        // the round is closed (--close)
    std::function<void(const std::string& why)> failed;  // an error reply or a lost connection
    std::function<void(const push_fields&)> push;        // a progress push
  };

  /// Runs on strand; opts, counters and question outlive the host.
  swarm_host(strand_type strand, const swarm_options& opts, swarm_counters& counters, swarm_question& question,
             events ev);

  /// Connects and starts the session.
  void start();
  /// Everyone has joined: open the round once --open-at participants are present (or 20 s passed).
  void open_when_present();
  /// Closes the round (--close); `closed` follows.
  void close_round();
  /// Closes the connection; nothing is reported after.
  void stop();

  /// The session's join code, once started.
  const std::string& code() const { return code_; }

private:
  void send(phase next, nlohmann::json request);
  void on_message(std::string_view text);
  void on_reply(const nlohmann::json& m);
  void on_started(const nlohmann::json& m);
  void fail(const std::string& why);
  void arm_open_fallback();
  void open();

  strand_type strand_;
  const swarm_options& opts_;
  swarm_counters& counters_;
  swarm_question& question_;
  events ev_;
  std::shared_ptr<client::connection> conn_;
  std::unique_ptr<boost::asio::steady_timer> open_fallback_;
  phase phase_ = phase::connecting;
  std::string awaiting_;  // the id of the request in flight
  int requests_ = 0;
  int presence_ = 0;
  std::string code_;
  std::string stage_;  // the question's stage id
};

}  // namespace roundtable::participant
