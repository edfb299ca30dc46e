// `participant swarm`: N simulated participants on one io_context, each with its own token
// and connection; they join at a ramp, each casts one random valid ballot inside the vote
// window, and the swarm measures join, ack and vote-to-results latencies.
#include "commands.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "client/answer.hpp"
#include "client/connection.hpp"
#include "flags.hpp"
#include "swarm_push.hpp"
#include "swarm_stats.hpp"

namespace roundtable::participant {

namespace asio = boost::asio;
using json = nlohmann::json;
using clock_type = std::chrono::steady_clock;
using namespace roundtable::client;

namespace {

double ms_between(clock_type::time_point a, clock_type::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

struct swarm_config {
  target server;
  std::string code;
  std::string key;
  std::string scenario;
  std::string question;
  int count = 0;
  double ramp = 2000;
  double window = 2;
  double timeout = 0;
  int threads = 1;
  int min_group = 0;
  int open_at = 0;
  long expect = 0;
  int inflight_max = 500;
  double hold = 0;
  int repeat = 1;
  bool json_out = false;
  bool close_round = false;
  bool not_live = false;
  std::vector<asio::ip::address> sources;
  std::uint64_t seed = 0;
};

class swarm;

// One simulated participant; touched only on its own strand.
struct sim {
  enum class phase { waiting, connecting, joined, voted, acked, failed };
  int index = 0;
  std::string token;
  asio::strand<asio::io_context::executor_type> strand;
  std::shared_ptr<connection> conn;
  std::unique_ptr<asio::steady_timer> vote_timer;
  std::optional<std::size_t> assigned_model;
  clock_type::time_point t_start, t_sent;
  phase state = phase::waiting;
  int votes_cast = 0;
  bool vote_scheduled = false;

  explicit sim(asio::io_context& ioc) : strand(asio::make_strand(ioc)) {}
};

class swarm {
public:
  swarm(asio::io_context& ioc, swarm_config cfg)
      : ioc_(ioc),
        cfg_(std::move(cfg)),
        main_(asio::make_strand(ioc)),
        ramp_timer_(main_),
        deadline_(main_),
        rng_(cfg_.seed) {
    first_results_.assign(static_cast<std::size_t>(std::max<long>(cfg_.count, cfg_.expect)) + 2, {});
  }

  // Runs everything on ioc; returns once done.
  void run() {
    t0_ = clock_type::now();
    deadline_.expires_after(std::chrono::milliseconds(static_cast<long>(cfg_.timeout * 1000)));
    deadline_.async_wait([this](boost::system::error_code ec) {
      if (ec || finishing_) return;
      timed_out_ = true;
      note("timed out after " + std::to_string(static_cast<int>(cfg_.timeout)) + " s");
      finish();
    });
    asio::post(main_, [this] {
      if (!cfg_.key.empty()) return start_host();
      begin_joins();
    });
  }

  swarm_report report() const;

private:
  void note(const std::string& s) {
    std::lock_guard lock(out_mutex_);
    std::cerr << "swarm: " << s << "\n";
  }

  // --- the facilitator connection (with --key): host, start live, goto, open, close ---
  void start_host() {
    events ev;
    ev.on_open = [this] { host_send(json{{"type", "host"}, {"id", "h1"}, {"key", cfg_.key}}); };
    ev.on_message = [this](std::string_view m) { on_host_message(m); };
    ev.on_close = [this](const std::string& why) {
      if (!finishing_) {
        note("facilitator connection closed: " + why);
        fatal_ = "facilitator connection closed: " + why;
        finish();
      }
    };
    host_ = connection::create(main_, std::move(ev));
    host_->start(cfg_.server);
  }

  void host_send(const json& m) { host_->send(m.dump()); }

  void on_host_message(std::string_view text) {
    const auto p = scan_push(text);
    if (!p) return;
    if (p->type == "progress" || p->type == "results") {
      if (p->type == "progress" && p->ballots >= 0) on_progress(p->question, p->ballots);
      return;
    }
    auto m = json::parse(text, nullptr, false);
    if (!m.is_object()) return;
    const auto type = m.value("type", "");
    const auto id = m.value("id", "");
    if (type == "error") {
      fatal_ = "facilitator request " + id + ": " + m.value("code", "") + ": " + m.value("message", "");
      note(fatal_);
      return finish();
    }
    if (type == "hosting") {
      json options{{"live", !cfg_.not_live}};
      if (cfg_.min_group > 0) options["min_group"] = cfg_.min_group;
      return host_send(json{{"type", "start"}, {"id", "h2"}, {"scenario", cfg_.scenario}, {"options", options}});
    }
    if (type == "started") {
      code_ = m.value("code", "");
      const auto& s = m["session"];
      min_group_ = s.value("min_group", 3);
      // The facilitator's view lists every stage with its question.
      std::string stage_id;
      for (const auto& st : s.value("stages", json::array())) {
        if (!st.contains("question")) continue;
        const auto qid = st["question"].value("id", "");
        if (!cfg_.question.empty() && qid != cfg_.question) continue;
        if (st.value("kind", "") != "question") continue;
        question_ = question_from_view(st["question"]);
        stage_id = st.value("id", "");
        break;
      }
      if (!question_) {
        fatal_ = cfg_.question.empty() ? "scenario " + cfg_.scenario + " has no question"
                                       : "scenario " + cfg_.scenario + " has no question " + cfg_.question;
        note(fatal_);
        return finish();
      }
      if (question_->question.type == question_type::text)
        note("question " + question_->id + " is a text question: the swarm posts perspectives");
      {
        std::lock_guard lock(out_mutex_);
        std::cout << "session " << code_ << " question " << question_->id << "\n" << std::flush;
      }
      return host_send(json{{"type", "goto"}, {"id", "h3"}, {"code", code_}, {"stage", stage_id}});
    }
    if (type == "ack" && id == "h3") return begin_joins();
    if (type == "ack" && id == "h4") {
      round_open_ = true;
      return check_vote_phase();
    }
    if (type == "ack" && id == "h5") {
      host_closed_round_ = true;
      return finish();
    }
    if (type == "presence") {
      presence_ = m.value("participants", 0);
      return maybe_open();
    }
  }

  void maybe_open() {
    if (cfg_.key.empty() || open_sent_ || !joins_done()) return;
    if (presence_ < cfg_.open_at && !open_anyway_) {
      // Other swarm processes may never bring everyone: open anyway after a while.
      if (!open_fallback_) {
        open_fallback_ = std::make_unique<asio::steady_timer>(main_, std::chrono::seconds(20));
        open_fallback_->async_wait([this](boost::system::error_code ec) {
          if (ec || open_sent_) return;
          note("only " + std::to_string(presence_) + " of " + std::to_string(cfg_.open_at) +
               " participants present after 20 s: opening the round anyway");
          open_anyway_ = true;
          maybe_open();
        });
      }
      return;
    }
    open_sent_ = true;
    host_send(json{{"type", "open"}, {"id", "h4"}, {"code", code_}, {"question", question_->id}});
  }

  // --- joining at the ramp ---
  void begin_joins() {
    sims_.reserve(static_cast<std::size_t>(cfg_.count));
    for (int i = 0; i < cfg_.count; ++i) {
      auto s = std::make_unique<sim>(ioc_);
      s->index = i;
      s->token = random_token();
      sims_.push_back(std::move(s));
    }
    joins_started_ = clock_type::now();
    if (cfg_.count == 0) return on_joins_done();
    launch();
  }

  void launch() {
    if (finishing_) return;
    const double elapsed = std::chrono::duration<double>(clock_type::now() - joins_started_).count();
    const std::size_t due =
        cfg_.ramp <= 0 ? sims_.size() : std::min(sims_.size(), static_cast<std::size_t>(elapsed * cfg_.ramp) + 1);
    while (launched_ < due && inflight_.load() < cfg_.inflight_max) {
      connect(*sims_[launched_]);
      ++launched_;
    }
    if (launched_ >= sims_.size()) return;
    ramp_timer_.expires_after(std::chrono::milliseconds(5));
    ramp_timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) launch();
    });
  }

  void connect(sim& s) {
    ++inflight_;
    s.state = sim::phase::connecting;
    s.t_start = clock_type::now();
    connection_options opts;
    opts.queue_max = 8;
    // A loaded server may take a while to answer a handshake: a browser would wait too.
    opts.handshake_timeout = std::chrono::seconds(30);
    if (!cfg_.sources.empty()) opts.source = cfg_.sources[static_cast<std::size_t>(s.index) % cfg_.sources.size()];
    events ev;
    ev.on_open = [this, &s] {
      s.conn->send(json{{"type", "join"}, {"id", "j"}, {"code", code_}, {"token", s.token}}.dump());
    };
    ev.on_message = [this, &s](std::string_view m) { on_sim_message(s, m); };
    ev.on_close = [this, &s](const std::string& why) { on_sim_closed(s, why); };
    s.conn = connection::create(s.strand, std::move(ev), opts);
    s.conn->start(cfg_.server);
  }

  void on_sim_closed(sim& s, const std::string& why) {
    const auto was = s.state;
    s.state = sim::phase::failed;
    if (s.vote_timer) s.vote_timer->cancel();
    if (finishing_) return;
    {
      std::lock_guard lock(stats_mutex_);
      if (was == sim::phase::connecting) {
        ++connect_failures_;
        ++error_reasons_["connect: " + why];
      } else {
        ++disconnects_;
        ++error_reasons_["disconnect: " + why];
      }
    }
    if (was == sim::phase::connecting) {
      --inflight_;
      return join_settled();
    }
    asio::post(main_, [this] {
      check_vote_phase();
      check_done();
    });
  }

  void on_sim_message(sim& s, std::string_view text) {
    const auto p = scan_push(text);
    if (!p) return;
    if (p->type == "progress" || p->type == "results") {
      if (p->ballots < 0) return;
      if (p->type == "progress")
        on_progress(p->question, p->ballots);
      else
        on_results(p->question, p->ballots);
      return;
    }
    auto m = json::parse(text, nullptr, false);
    if (!m.is_object()) return;
    const auto type = m.value("type", "");
    if (type == "joined") return on_joined(s, m);
    if (type == "ack") return on_ack(s);
    if (type == "error") return on_error(s, m);
    if (type == "round") {
      if (m.value("status", "") == "open" && target_question() == m.value("question", "")) {
        asio::post(main_, [this] {
          round_open_ = true;
          check_vote_phase();
        });
      }
      return;
    }
    if (type == "stage") {
      // With --code and no question known yet, the facilitator's move may show it.
      const auto& st = m["stage"];
      if (st.contains("question")) learn_question(s, st);
    }
  }

  std::string target_question() {
    std::lock_guard lock(stats_mutex_);
    return question_ ? question_->id : cfg_.question;
  }

  void learn_question(sim& s, const json& st) {
    const auto& qv = st["question"];
    if (!cfg_.question.empty() && qv.value("id", "") != cfg_.question) return;
    bool open = st.value("status", "") == "open";
    {
      std::lock_guard lock(stats_mutex_);
      if (!question_) {
        question_ = question_from_view(qv);
        if (question_) question_->assigned_model.reset();
      }
      if (question_ && st.contains("assigned_model") && st["assigned_model"].is_string())
        s.assigned_model = question_->scenario.model_index(st["assigned_model"].get<std::string>());
      if (!question_ || question_->id != qv.value("id", "")) open = false;
    }
    if (open)
      asio::post(main_, [this] {
        round_open_ = true;
        check_vote_phase();
      });
  }

  void on_joined(sim& s, const json& m) {
    if (s.state != sim::phase::connecting) return;  // a repeated joined: nothing new
    const auto now = clock_type::now();
    s.state = sim::phase::joined;
    const auto& session = m["session"];
    {
      std::lock_guard lock(stats_mutex_);
      join_ms_.push_back(ms_between(s.t_start, now));
      ++joined_;
      last_join_ = now;
      if (min_group_ == 0) min_group_ = session.value("min_group", 3);
    }
    if (session.value("ended", false)) {
      std::lock_guard lock(stats_mutex_);
      ++error_reasons_["session ended"];
    }
    if (session.contains("stage") && session["stage"].contains("question")) learn_question(s, session["stage"]);
    --inflight_;
    join_settled();
  }

  // One participant's join is over (joined or failed); the last one starts what follows.
  void join_settled() {
    if (++joins_finished_ == cfg_.count) asio::post(main_, [this] { on_joins_done(); });
  }

  void on_joins_done() {
    {
      std::lock_guard lock(out_mutex_);
      // On stdout, flushed: a benchmark script samples the server while the swarm holds.
      std::cout << "joined " << joined_now() << " of " << cfg_.count << " in "
                << static_cast<int>(ms_between(joins_started_, clock_type::now())) << " ms\n"
                << std::flush;
    }
    if (cfg_.hold > 0) {
      hold_timer_ =
          std::make_unique<asio::steady_timer>(main_, std::chrono::milliseconds(static_cast<long>(cfg_.hold * 1000)));
      hold_timer_->async_wait([this](boost::system::error_code ec) {
        if (ec) return;
        held_ = true;
        maybe_open();
        check_vote_phase();
        check_done();
      });
      return;
    }
    held_ = true;
    maybe_open();
    check_vote_phase();
    check_done();
  }

  bool joins_done() const { return joins_finished_.load() >= cfg_.count && held_; }

  // Runs on main_: once every participant has joined (or failed) and the round is open,
  // every participant's vote moment is drawn inside the window.
  void check_vote_phase() {
    if (vote_phase_ || finishing_ || !joins_done()) return;
    if (!cfg_.key.empty()) maybe_open();
    if (!round_open_) return;
    {
      std::lock_guard lock(stats_mutex_);
      if (!question_) {
        fatal_ = "the round is open but its question is unknown (is the question the current stage?)";
        note(fatal_);
        return finish();
      }
    }
    vote_phase_ = true;
    vote_start_ = clock_type::now();
    std::uniform_real_distribution<double> when(0.0, cfg_.window * 1000.0);
    for (auto& sp : sims_) {
      sim& s = *sp;
      const auto delay = std::chrono::microseconds(static_cast<long>(when(rng_) * 1000.0));
      const auto seed = rng_();
      asio::post(s.strand, [this, &s, delay, seed] {
        if (s.state != sim::phase::joined || !s.conn) return;
        s.vote_timer = std::make_unique<asio::steady_timer>(s.strand, vote_start_ + delay);
        s.vote_timer->async_wait([this, &s, seed](boost::system::error_code ec) {
          if (!ec) vote(s, seed);
        });
      });
    }
    check_done();
  }

  void vote(sim& s, std::uint64_t seed) {
    if (s.state != sim::phase::joined || !s.conn) return;
    std::mt19937_64 rng(seed);
    answer a;
    {
      std::lock_guard lock(stats_mutex_);
      auto q = *question_;
      q.assigned_model = s.assigned_model;
      a = random_answer(q, rng);
    }
    const auto qid = question_->id;
    const auto id = "v" + std::to_string(++s.votes_cast);
    json msg = a.perspective ? json{{"type", "perspective"}, {"id", id}, {"question", qid}, {"text", a.text}}
                             : json{{"type", "vote"}, {"id", id}, {"question", qid}, {"ballot", a.ballot}};
    s.t_sent = clock_type::now();
    s.state = sim::phase::voted;
    if (!s.conn->send(msg.dump())) {
      std::lock_guard lock(stats_mutex_);
      ++error_reasons_["send refused"];
      ++errors_;
      return;
    }
    std::lock_guard lock(stats_mutex_);
    ++sent_;
    if (first_send_ == clock_type::time_point{}) first_send_ = s.t_sent;
  }

  void on_ack(sim& s) {
    if (s.state != sim::phase::voted) return;
    const auto now = clock_type::now();
    {
      std::lock_guard lock(stats_mutex_);
      ++total_acks_;
      last_ack_ = now;
      if (s.votes_cast == 1) {
        ack_ms_.push_back(ms_between(s.t_sent, now));
        acked_sends_.push_back(s.t_sent);  // in ack order: the k-th acked vote
      } else {
        repeat_ack_ms_.push_back(ms_between(s.t_sent, now));
      }
    }
    // --repeat: the next ballot replaces this one, sent as soon as this one is durable.
    if (s.votes_cast < cfg_.repeat) {
      s.state = sim::phase::joined;
      return vote(s, (static_cast<std::uint64_t>(s.index) << 20) + static_cast<std::uint64_t>(s.votes_cast));
    }
    s.state = sim::phase::acked;
    {
      std::lock_guard lock(stats_mutex_);
      ++finished_voters_;
    }
    asio::post(main_, [this] { check_done(); });
  }

  void on_error(sim& s, const json& m) {
    {
      std::lock_guard lock(stats_mutex_);
      ++errors_;
      ++error_reasons_[m.value("code", "error") + ": " + m.value("message", "")];
    }
    if (s.state == sim::phase::connecting) {
      // The join was refused.
      s.state = sim::phase::failed;
      --inflight_;
      join_settled();
    } else if (s.state == sim::phase::voted) {
      s.state = sim::phase::failed;
    }
    asio::post(main_, [this] { check_done(); });
  }

  void on_progress(std::string_view q, long ballots) {
    if (ballots <= max_progress_.load()) return;
    {
      std::lock_guard lock(stats_mutex_);
      if (!question_ || q != question_->id) return;
    }
    long prev = max_progress_.load();
    while (ballots > prev && !max_progress_.compare_exchange_weak(prev, ballots)) {
    }
    if (ballots >= cfg_.expect) asio::post(main_, [this] { check_done(); });
  }

  void on_results(std::string_view q, long ballots) {
    const auto now = clock_type::now();
    std::lock_guard lock(stats_mutex_);
    if (!question_ || q != question_->id) return;
    ++results_pushes_;
    const auto b = static_cast<std::size_t>(std::min<long>(ballots, static_cast<long>(first_results_.size()) - 1));
    for (std::size_t k = max_results_ + 1; k <= b; ++k) first_results_[k] = now;
    if (b > max_results_ && results_grace_armed_.load()) asio::post(main_, [this] { check_done(); });
    max_results_ = std::max(max_results_, b);
  }

  // Runs on main_: finished once every participant has voted and been answered, and the
  // server counted every ballot the run expects.
  void check_done() {
    if (finishing_ || !vote_phase_) return;
    std::size_t answered = 0;
    {
      std::lock_guard lock(stats_mutex_);
      // A participant is answered once its last ballot is acked.
      answered = static_cast<std::size_t>(finished_voters_);
    }
    // Participants that failed or got an error count as answered.
    std::size_t settled = answered + static_cast<std::size_t>(errors_in_votes());
    if (settled < static_cast<std::size_t>(joined_now())) return;
    if (max_progress_.load() < cfg_.expect && !progress_wait_over_) {
      // Every own ballot is answered; others' (another swarm process's) may never come:
      // wait for the count a bounded while, then report what was seen.
      if (!progress_grace_) {
        progress_grace_ = std::make_unique<asio::steady_timer>(main_, std::chrono::seconds(10));
        progress_grace_->async_wait([this](boost::system::error_code ec) {
          if (ec) return;
          note("progress reached " + std::to_string(max_progress_.load()) + " of " + std::to_string(cfg_.expect) +
               " expected ballots");
          progress_wait_over_ = true;
          check_done();
        });
      }
      return;
    }
    // Live results trail progress by up to one push interval: wait (briefly) for the push
    // counting N - min_group + 1 ballots, the last one the vote-to-results figure uses.
    if (!results_wait_over_ && results_short()) {
      if (!results_grace_) {
        results_grace_armed_ = true;
        results_grace_ = std::make_unique<asio::steady_timer>(main_, std::chrono::milliseconds(1500));
        results_grace_->async_wait([this](boost::system::error_code) {
          results_wait_over_ = true;
          check_done();
        });
      }
      return;
    }
    if (!cfg_.key.empty() && cfg_.close_round) {
      if (close_sent_) return;
      close_sent_ = true;
      return host_send(json{{"type", "close"}, {"id", "h5"}, {"code", code_}, {"question", question_->id}});
    }
    finish();
  }

  bool results_short() {
    std::lock_guard lock(stats_mutex_);
    const long want = static_cast<long>(ack_ms_.size()) - std::max(1, min_group_) + 1;
    return want > 0 && static_cast<long>(max_results_) < want;
  }

  long joined_now() {
    std::lock_guard lock(stats_mutex_);
    return joined_;
  }

  long errors_in_votes() {
    // Everyone joined who is no longer waiting for an ack: failed or refused.
    long n = 0;
    std::lock_guard lock(stats_mutex_);
    n = errors_ + disconnects_;
    return n;
  }

  void finish() {
    if (finishing_) return;
    finishing_ = true;
    end_ = clock_type::now();
    ramp_timer_.cancel();
    deadline_.cancel();
    if (results_grace_) results_grace_->cancel();
    if (open_fallback_) open_fallback_->cancel();
    if (progress_grace_) progress_grace_->cancel();
    if (hold_timer_) hold_timer_->cancel();
    for (auto& s : sims_) {
      if (s->conn) s->conn->close();
      asio::post(s->strand, [p = s.get()] {
        if (p->vote_timer) p->vote_timer->cancel();
      });
    }
    if (host_) host_->close();
    // Give the closes a moment, then stop the loop.
    auto t = std::make_shared<asio::steady_timer>(main_, std::chrono::milliseconds(cfg_.count > 5000 ? 2000 : 500));
    t->async_wait([this, t](boost::system::error_code) { ioc_.stop(); });
  }

  asio::io_context& ioc_;
  swarm_config cfg_;
  asio::strand<asio::io_context::executor_type> main_;
  asio::steady_timer ramp_timer_;
  asio::steady_timer deadline_;
  std::mt19937_64 rng_;
  std::vector<std::unique_ptr<sim>> sims_;
  std::shared_ptr<connection> host_;
  std::string code_ = "";
  std::size_t launched_ = 0;
  std::atomic<int> inflight_{0};
  std::atomic<int> joins_finished_{0};
  std::atomic<long> max_progress_{0};
  int presence_ = 0;
  bool open_sent_ = false;
  bool open_anyway_ = false;
  std::unique_ptr<asio::steady_timer> open_fallback_;
  bool close_sent_ = false;
  bool host_closed_round_ = false;
  bool round_open_ = false;
  bool vote_phase_ = false;
  bool finishing_ = false;
  bool timed_out_ = false;
  bool held_ = false;
  std::unique_ptr<asio::steady_timer> hold_timer_;
  bool results_wait_over_ = false;
  bool progress_wait_over_ = false;
  std::unique_ptr<asio::steady_timer> progress_grace_;
  std::unique_ptr<asio::steady_timer> results_grace_;
  std::atomic<bool> results_grace_armed_{false};
  std::string fatal_;
  clock_type::time_point t0_, joins_started_, vote_start_, end_;

  // Shared between strands, under stats_mutex_.
  mutable std::mutex stats_mutex_;
  mutable std::mutex out_mutex_;
  std::optional<shown_question> question_;
  int min_group_ = 0;
  long joined_ = 0;
  long errors_ = 0;
  long disconnects_ = 0;
  long connect_failures_ = 0;
  long sent_ = 0;
  long total_acks_ = 0;
  long finished_voters_ = 0;
  std::vector<double> repeat_ack_ms_;
  long results_pushes_ = 0;
  std::map<std::string, long> error_reasons_;
  std::vector<double> join_ms_, ack_ms_;
  std::vector<clock_type::time_point> acked_sends_;
  std::vector<clock_type::time_point> first_results_;  // [k]: first results push with ballots >= k
  std::size_t max_results_ = 0;
  clock_type::time_point last_join_, first_send_, last_ack_;

public:
  /// Sets the join code (with --code).
  void set_code(std::string c) { code_ = std::move(c); }
};

swarm_report swarm::report() const {
  std::lock_guard lock(stats_mutex_);
  swarm_report r;
  r.participants = cfg_.count;
  r.connected = joined_;
  r.acked = static_cast<long>(ack_ms_.size());
  r.errors = errors_ + connect_failures_;
  r.disconnects = disconnects_;
  r.sent = sent_;
  r.max_progress = max_progress_.load();
  r.results_pushes = results_pushes_;
  r.code = code_;
  r.question = question_ ? question_->id : cfg_.question;
  r.min_group = min_group_;
  r.timed_out = timed_out_;
  r.fatal = fatal_;
  r.error_reasons = error_reasons_;
  r.join = summarize(join_ms_);
  r.ack = summarize(ack_ms_);
  r.total_acks = total_acks_;
  {
    std::vector<double> all = ack_ms_;
    all.insert(all.end(), repeat_ack_ms_.begin(), repeat_ack_ms_.end());
    r.ack_all = summarize(std::move(all));
  }
  const double join_span =
      last_join_ > joins_started_ ? std::chrono::duration<double>(last_join_ - joins_started_).count() : 0;
  r.join_rate = join_span > 0 ? static_cast<double>(joined_) / join_span : 0;
  r.votes_per_s = 0;
  r.burst_s = last_ack_ > first_send_ && first_send_ != clock_type::time_point{}
                  ? std::chrono::duration<double>(last_ack_ - first_send_).count()
                  : 0;
  if (r.burst_s > 0) r.votes_per_s = static_cast<double>(total_acks_) / r.burst_s;
  // Vote-to-results: the k-th acked vote (k = 1 .. N - min_group + 1) against the first
  // results push counting at least k ballots.
  std::vector<double> v2r;
  const long n = static_cast<long>(acked_sends_.size());
  const long upto = std::max<long>(0, n - std::max(1, min_group_) + 1);
  for (long k = 1; k <= upto; ++k) {
    const auto& seen = first_results_[static_cast<std::size_t>(k)];
    if (seen == clock_type::time_point{}) {
      ++r.results_missing;
      continue;
    }
    v2r.push_back(std::max(0.0, ms_between(acked_sends_[static_cast<std::size_t>(k - 1)], seen)));
  }
  r.results = summarize(v2r);
  r.duration_s =
      std::chrono::duration<double>((end_ == clock_type::time_point{} ? clock_type::now() : end_) - t0_).count();
  return r;
}

std::vector<asio::ip::address> parse_sources(const std::string& spec) {
  std::vector<asio::ip::address> out;
  std::size_t start = 0;
  while (start <= spec.size()) {
    auto comma = spec.find(',', start);
    const auto part = spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    boost::system::error_code ec;
    if (const auto dash = part.find('-'); dash != std::string::npos) {
      const auto a = asio::ip::make_address_v4(part.substr(0, dash), ec);
      if (ec) throw flag_error("--source-ips: \"" + part.substr(0, dash) + "\" is not an IPv4 address");
      const auto b = asio::ip::make_address_v4(part.substr(dash + 1), ec);
      if (ec) throw flag_error("--source-ips: \"" + part.substr(dash + 1) + "\" is not an IPv4 address");
      if (b.to_uint() < a.to_uint()) throw flag_error("--source-ips: the range " + part + " runs backwards");
      if (b.to_uint() - a.to_uint() > 1000)
        throw flag_error("--source-ips: the range " + part + " has over 1000 addresses");
      for (auto x = a.to_uint(); x <= b.to_uint(); ++x) out.push_back(asio::ip::address_v4(x));
    } else {
      const auto a = asio::ip::make_address(part, ec);
      if (ec) throw flag_error("--source-ips: \"" + part + "\" is not an IP address");
      out.push_back(a);
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace

const char* swarm_usage =
    "usage: participant swarm --server ws://HOST:PORT/ws --code CODE --count N [OPTIONS]\n"
    "       participant swarm --server ws://HOST:PORT/ws --key KEY --scenario ID --count N [OPTIONS]\n"
    "\n"
    "A load generator: N simulated anonymous participants, each with its own token and\n"
    "connection, join at the ramp rate; once the question's round is open and everyone has\n"
    "joined, each casts one valid random ballot of the question's type at a random moment in\n"
    "the vote window, then waits for its ack and for a progress push counting every ballot.\n"
    "\n"
    "The session, either:\n"
    "  --code CODE          join an existing session; its current stage (or --question) is the\n"
    "                       question, and the swarm votes once its round is (or becomes) open.\n"
    "                       Make it live (options {\"live\":true}) to measure vote-to-results.\n"
    "  --key KEY --scenario ID\n"
    "                       create one: host, start the scenario with {\"live\":true}, goto the\n"
    "                       question (--question, or the scenario's first), and open its round\n"
    "                       once every participant has joined (--open-at). Prints\n"
    "                       `session CODE question ID` first, for a second swarm process.\n"
    "\n"
    "  --server URL         the server's WebSocket URL (required)\n"
    "  --count N            participants, 0 to 100000 (required); --count 0 with --key just\n"
    "                       creates the live session, opens the round and prints its code\n"
    "  --ramp PER_SECOND    joins started per second (default 2000; 0: as fast as possible)\n"
    "  --vote-window S      votes are spread uniformly over S seconds (default 2)\n"
    "  --question ID        the question to vote on\n"
    "  --source-ips LIST    bind connections round-robin to these local addresses, e.g.\n"
    "                       127.0.0.2-127.0.0.60 or 127.0.0.2,127.0.0.3 (past ~28,000\n"
    "                       connections one address runs out of ephemeral ports)\n"
    "  --threads N          io_context threads (default 1)\n"
    "  --timeout S          give up after S seconds overall (default: joins at the ramp + 60)\n"
    "  --expect-ballots M   wait for a progress push counting M ballots (default N; with\n"
    "                       several swarm processes on one session, their total)\n"
    "  --open-at M          with --key: open the round once M participants are present\n"
    "                       (default N; the total when other swarm processes join too)\n"
    "  --min-group N        with --key: the session's min_group option\n"
    "  --close              with --key: close the round at the end (final tally, export votes)\n"
    "  --not-live           with --key: start the session with {\"live\":false} (no live results)\n"
    "  --max-inflight N     connection attempts in progress at most (default 500)\n"
    "  --hold S             once everyone has joined, wait S seconds before voting (prints\n"
    "                       `joined N of M` when the wait starts: a script can sample the server)\n"
    "  --repeat K           each participant casts K ballots, the next as soon as the last is\n"
    "                       acked (each replaces the last): sustained durable votes per second\n"
    "  --seed N             random seed (default: random)\n"
    "  --json               end with one line: a JSON object with every number below\n"
    "\n"
    "Measures connect+join time, ack latency (send to ack) and vote-to-results latency (the\n"
    "k-th acked vote's send to the first results push with ballots >= k, over the first\n"
    "N - min_group + 1 votes) as p50/p99/max; counts connected, acked, errors, disconnects.\n"
    "Exit status 0 when every participant connected and every vote was acked, 1 otherwise.\n";

int swarm_command(const std::vector<std::string>& args) {
  flags f("swarm", args,
          {"server", "code", "key", "scenario", "question", "count", "ramp", "vote-window", "source-ips", "threads",
           "timeout", "expect-ballots", "open-at", "min-group", "max-inflight", "seed", "hold", "repeat"},
          {"json", "close", "not-live"});
  if (f.help()) {
    std::cout << swarm_usage;
    return 0;
  }
  swarm_config cfg;
  const auto server = f.get("server");
  if (!server) throw flag_error("--server is required, e.g. --server ws://127.0.0.1:8080/ws");
  std::string why;
  auto url = parse_server_url(*server, why);
  if (!url) throw flag_error("--server: " + why);
  if (!f.get("count")) throw flag_error("--count is required (the number of simulated participants)");
  cfg.count = static_cast<int>(f.number("count", 0, 0, 100000));
  cfg.code = f.get("code").value_or(url->code.value_or(""));
  cfg.key = f.get("key").value_or("");
  cfg.scenario = f.get("scenario").value_or("");
  if (!cfg.key.empty() && !cfg.code.empty()) throw flag_error("give either --code or --key with --scenario, not both");
  if (cfg.key.empty() && cfg.code.empty())
    throw flag_error("--code is required (or --key and --scenario to create a session)");
  if (!cfg.key.empty() && cfg.scenario.empty()) throw flag_error("--key needs --scenario ID (the scenario to start)");
  if (cfg.key.empty() && !cfg.scenario.empty())
    throw flag_error("--scenario needs --key (only a facilitator starts sessions)");
  if (!cfg.code.empty() && (cfg.code.size() != 6 || cfg.code.find_first_not_of("0123456789") != std::string::npos))
    throw flag_error("--code must be the six-digit join code, got \"" + cfg.code + "\"");
  if (cfg.key.empty() && (f.get("open-at") || f.get("min-group") || f.has("close") || f.has("not-live")))
    throw flag_error("--open-at, --min-group, --close and --not-live need --key (they drive the session)");
  cfg.question = f.get("question").value_or("");
  cfg.ramp = f.real("ramp", 2000, 0, 1e6);
  cfg.window = f.real("vote-window", 2, 0, 3600);
  cfg.threads = static_cast<int>(f.number("threads", 1, 1, 64));
  cfg.expect = f.number("expect-ballots", cfg.count, 0, 10000000);
  cfg.open_at = static_cast<int>(f.number("open-at", cfg.count, 0, 10000000));
  cfg.min_group = static_cast<int>(f.number("min-group", 0, 1, 50));
  cfg.inflight_max = static_cast<int>(f.number("max-inflight", 500, 1, 100000));
  cfg.close_round = f.has("close");
  cfg.not_live = f.has("not-live");
  cfg.hold = f.real("hold", 0, 0, 3600);
  cfg.repeat = static_cast<int>(f.number("repeat", 1, 1, 1000000));
  cfg.json_out = f.has("json");
  cfg.seed = static_cast<std::uint64_t>(
      f.number("seed", static_cast<long>(std::random_device{}() & 0x7fffffff), 0, 0x7fffffffffffffff));
  if (auto s = f.get("source-ips")) cfg.sources = parse_sources(*s);
  const double join_estimate = cfg.ramp > 0 ? cfg.count / cfg.ramp : cfg.count / 2000.0;
  cfg.timeout = f.real("timeout", join_estimate + cfg.window + cfg.hold + 60, 1, 86400);

  // One descriptor per connection, plus a few: raise the soft limit to the hard one.
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
      static_cast<rlim_t>(cfg.count) + 20 > rl.rlim_cur)
    std::cerr << "swarm: warning: " << cfg.count << " connections need more than the open-file limit (" << rl.rlim_cur
              << "); run several swarm processes (--expect-ballots, --open-at)\n";

  cfg.server = resolve(*url);
  asio::io_context ioc(cfg.threads);
  swarm s(ioc, cfg);
  s.set_code(cfg.code);
  s.run();
  std::vector<std::thread> pool;
  for (int i = 1; i < cfg.threads; ++i) pool.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
  const auto r = s.report();
  std::cout << format_table(r);
  if (cfg.json_out) std::cout << to_json(r).dump() << "\n";
  std::cout << std::flush;
  return r.connected == r.participants && r.acked == r.participants && r.max_progress >= cfg.expect && r.fatal.empty()
             ? 0
             : 1;
}

}  // namespace roundtable::participant
