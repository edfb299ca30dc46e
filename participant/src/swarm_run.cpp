#include "swarm_run.hpp"

#include <iostream>

#include <boost/asio/post.hpp>

namespace roundtable::participant {

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;

swarm_run::swarm_run(asio::io_context& ioc, swarm_options opts)
    : ioc_(ioc),
      opts_(std::move(opts)),
      strand_(asio::make_strand(ioc)),
      counters_(static_cast<std::size_t>(std::max<long>(opts_.count, opts_.expect))),
      question_(opts_.question),
      pool_(ioc, strand_, opts_, counters_, question_,
            swarm_pool::events{
                .joins_settled = [this] { asio::post(strand_, [this] { on_joins_done(); }); },
                .round_open = [this] { asio::post(strand_, [this] { on_round_open(); }); },
                .answered = [this] { asio::post(strand_, [this] { check_done(); }); },
                .lost =
                    [this] {
                      asio::post(strand_, [this] {
                        check_vote_phase();
                        check_done();
                      });
                    },
                .push = [this](const push_fields& p) { on_push(p); },
            }),
      deadline_(strand_),
      progress_wait_(strand_, std::chrono::seconds(10)),
      results_wait_(strand_, std::chrono::milliseconds(1500)),
      rng_(opts_.seed),
      code_(opts_.code) {}

void swarm_run::start() {
  t0_ = clock_type::now();
  deadline_.expires_after(std::chrono::milliseconds(static_cast<long>(opts_.timeout * 1000)));
  deadline_.async_wait([this](boost::system::error_code ec) {
    if (ec || phase_ == phase::done) return;
    timed_out_ = true;
    swarm_note("timed out after " + std::to_string(static_cast<int>(opts_.timeout)) + " s");
    finish();
  });
  asio::post(strand_, [this] {
    if (!opts_.hosts()) return begin_joins(opts_.code);
    host_.emplace(strand_, opts_, counters_, question_,
                  swarm_host::events{
                      .ready = [this](const std::string& code) { begin_joins(code); },
                      .opened = [this] { on_round_open(); },
                      .closed = [this] { finish(); },
                      .failed = [this](const std::string& why) { fail(why); },
                      .push = [this](const push_fields& p) { on_push(p); },
                  });
    host_->start();
  });
}

void swarm_run::begin_joins(const std::string& code) {
  code_ = code;
  phase_ = phase::joining;
  pool_.start(code);
}

// Every participant joined or failed: report it, hold (--hold), then on to the vote.
void swarm_run::on_joins_done() {
  // On stdout, flushed: a benchmark script samples the server while the swarm holds.
  std::cout << "joined " << counters_.joined() << " of " << opts_.count << " in "
            << static_cast<int>(ms_between(pool_.joins_started(), clock_type::now())) << " ms\n"
            << std::flush;
  if (phase_ != phase::joining) return;
  phase_ = phase::holding;
  if (opts_.hold <= 0) return after_hold();
  hold_timer_ =
      std::make_unique<asio::steady_timer>(strand_, std::chrono::milliseconds(static_cast<long>(opts_.hold * 1000)));
  hold_timer_->async_wait([this](boost::system::error_code ec) {
    if (!ec) after_hold();
  });
}

void swarm_run::after_hold() {
  if (phase_ != phase::holding) return;
  phase_ = phase::ready;
  if (host_) host_->open_when_present();
  check_vote_phase();
}

void swarm_run::on_round_open() {
  round_open_ = true;
  check_vote_phase();
}

// Once every participant has joined (or failed) and the round is open, every participant's
// vote moment is drawn inside the window.
void swarm_run::check_vote_phase() {
  if (phase_ != phase::ready || !round_open_) return;
  if (!question_.get())
    return fail("the round is open but its question is unknown (is the question the current stage?)");
  phase_ = phase::voting;
  pool_.schedule_votes(clock_type::now(), rng_);
  check_done();
}

// From any strand: a progress or results push for the swarm's question.
void swarm_run::on_push(const push_fields& p) {
  if (p.ballots < 0) return;
  if (p.type == "progress") {
    if (p.ballots <= counters_.max_progress() || !question_.is(p.question)) return;
    if (counters_.progress(p.ballots) && p.ballots >= opts_.expect) asio::post(strand_, [this] { check_done(); });
    return;
  }
  if (!question_.is(p.question)) return;
  if (counters_.results(p.ballots, clock_type::now()) && results_wait_.started())
    asio::post(strand_, [this] { check_done(); });
}

// Finished once every participant has voted and been answered, and the server counted every
// ballot the run expects (each wait bounded); with --close the round is closed first.
void swarm_run::check_done() {
  if (phase_ != phase::voting) return;
  if (counters_.settled() < counters_.joined()) return;
  if (wait_for_progress() || wait_for_results()) return;
  if (host_ && opts_.close_round) {
    phase_ = phase::closing;
    return host_->close_round();
  }
  finish();
}

// Every own ballot is answered; others' (another swarm process's) may never come: wait for the
// count a bounded while, then report what was seen. True while waiting.
bool swarm_run::wait_for_progress() {
  if (counters_.max_progress() >= opts_.expect) return false;
  return progress_wait_.still_waiting([this] {
    swarm_note("progress reached " + std::to_string(counters_.max_progress()) + " of " + std::to_string(opts_.expect) +
               " expected ballots");
    check_done();
  });
}

// Live results trail progress by up to one push interval: wait (briefly) for the push counting
// N - min_group + 1 ballots, the last one the vote-to-results figure uses. True while waiting.
bool swarm_run::wait_for_results() {
  if (!counters_.results_short()) return false;
  return results_wait_.still_waiting([this] { check_done(); });
}

void swarm_run::fail(const std::string& why) {
  fatal_ = why;
  swarm_note(why);
  finish();
}

void swarm_run::finish() {
  if (phase_ == phase::done) return;
  phase_ = phase::done;
  end_ = clock_type::now();
  deadline_.cancel();
  if (hold_timer_) hold_timer_->cancel();
  progress_wait_.cancel();
  results_wait_.cancel();
  pool_.close();
  if (host_) host_->stop();
  // Give the closes a moment, then stop the loop.
  auto t = std::make_shared<asio::steady_timer>(strand_, std::chrono::milliseconds(opts_.count > 5000 ? 2000 : 500));
  t->async_wait([this, t](boost::system::error_code) { ioc_.stop(); });
}

swarm_report swarm_run::report() const {
  auto r = counters_.report();
  r.participants = opts_.count;
  r.code = host_ ? host_->code() : code_;
  r.question = question_.id();
  r.timed_out = timed_out_;
  r.fatal = fatal_;
  r.duration_s =
      std::chrono::duration<double>((end_ == clock_type::time_point{} ? clock_type::now() : end_) - t0_).count();
  return r;
}

}  // namespace roundtable::participant
