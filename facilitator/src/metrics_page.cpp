#include "metrics_page.hpp"

#include <sstream>

#include "process_stats.hpp"
#include "store/event_store.hpp"
#include "store/log_store.hpp"

namespace roundtable::facilitator {

namespace {

// Writes metric families: a HELP and a TYPE line, then the samples.
class prometheus_writer {
public:
  template <class T>
  void gauge(const char* name, const char* help, T value, const char* type = "gauge") {
    header(name, help, type);
    o_ << name << " " << value << "\n";
  }
  template <class T>
  void counter(const char* name, const char* help, T value) {
    gauge(name, help, value, "counter");
  }
  // A Prometheus histogram: cumulative buckets, +Inf equal to the count.
  template <class Bounds, class Buckets>
  void histogram(const char* name, const char* help, const Bounds& bounds, double scale, const Buckets& buckets,
                 double sum) {
    header(name, help, "histogram");
    for (std::size_t i = 0; i < bounds.size(); ++i)
      o_ << name << "_bucket{le=\"" << static_cast<double>(bounds[i]) * scale << "\"} " << buckets[i] << "\n";
    o_ << name << "_bucket{le=\"+Inf\"} " << buckets.back() << "\n"
       << name << "_sum " << sum << "\n"
       << name << "_count " << buckets.back() << "\n";
  }
  void header(const char* name, const char* help, const char* type) {
    o_ << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
  }
  std::ostream& out() { return o_; }
  std::string str() const { return o_.str(); }

private:
  std::ostringstream o_;
};

void connections(prometheus_writer& w, const metrics& m) {
  w.header("roundtable_connections", "Open WebSocket connections by role.", "gauge");
  w.out() << "roundtable_connections{role=\"participant\"} " << m.participants.load() << "\n"
          << "roundtable_connections{role=\"projector\"} " << m.projectors.load() << "\n"
          << "roundtable_connections{role=\"facilitator\"} " << m.facilitators.load() << "\n"
          << "roundtable_connections{role=\"none\"} " << m.unjoined.load() << "\n";
}

void store_families(prometheus_writer& w, const store::store_stats& st) {
  w.counter("roundtable_store_commits_total", "SQLite transactions committed.", st.commits);
  w.counter("roundtable_store_writes_total", "Writes committed.", st.writes_committed);
  w.counter("roundtable_store_write_failures_total", "Writes that failed.", st.writes_failed);
  w.gauge("roundtable_store_batch_max", "Largest group-commit batch so far.", st.max_batch);
  w.gauge("roundtable_store_queued", "Writes waiting for the SQLite writer now.", st.queued);
  w.gauge("roundtable_store_failing", "1 while the store refuses writes (its last transaction failed), else 0.",
          st.failing ? 1 : 0);
  w.histogram("roundtable_commit_seconds", "Time from BEGIN to the end of COMMIT of one group-commit batch.",
              store::commit_latency_bounds_ms, 1e-3, st.commit_latency_buckets,
              static_cast<double>(st.commit_latency_us_sum) / 1e6);
  w.histogram("roundtable_commit_batch_writes", "Writes in one group-commit batch.", store::batch_size_bounds, 1.0,
              st.batch_size_buckets, static_cast<double>(st.writes_committed + st.writes_failed));
}

void build_and_process(prometheus_writer& w) {
  w.header("roundtable_build_info", "The program's version (the value is always 1).", "gauge");
  w.out() << "roundtable_build_info{version=\"" << ROUNDTABLE_VERSION << "\"} 1\n";
  const auto p = read_process_stats();
  w.gauge("process_resident_memory_bytes", "Resident memory size in bytes.", p.resident_bytes);
  w.gauge("process_open_fds", "Open file descriptors (connections, the database, the listener).", p.open_fds);
  w.counter("process_cpu_seconds_total", "User and system CPU time spent, in seconds.", p.cpu_seconds);
}

void vote_ack(prometheus_writer& w, const latency_histogram& h) {
  std::array<std::uint64_t, vote_ack_bounds_s.size() + 1> cumulative{};
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < cumulative.size(); ++i) cumulative[i] = running += h.counts[i].load();
  w.histogram("roundtable_vote_ack_seconds",
              "From a vote's arrival (parsed, handed to its room) to its ack being queued: decide, group commit, ack.",
              vote_ack_bounds_s, 1.0, cumulative, static_cast<double>(h.sum_us.load()) / 1e6);
}

}  // namespace

std::string prometheus_text(const metrics& m, std::size_t sessions, const store::store_stats& st) {
  prometheus_writer w;
  connections(w, m);
  w.gauge("roundtable_sessions", "Sessions served, running and ended (quarantined ones are apart).", sessions);
  w.counter("roundtable_ballots_total", "Votes acked.", m.ballots.load());
  w.counter("roundtable_perspectives_total", "Perspectives acked.", m.perspectives.load());
  w.counter("roundtable_requests_total", "Client frames received.", m.requests.load());
  w.counter("roundtable_errors_total", "Error replies sent.", m.errors.load());
  w.counter("roundtable_pushes_total", "Push messages serialised (once per audience).", m.pushes.load());
  w.counter("roundtable_limited_total", "Requests refused with rate_limited.", m.limited.load());
  w.counter("roundtable_dropped_total",
            "Requests answered internal because their write failed (the store refused it: nothing of them is stored).",
            m.write_failures.load());
  w.counter("roundtable_internal_errors_total",
            "Exceptions caught at a room's boundary (answered internal; the room reloads from the store).",
            m.internal_errors.load());
  w.counter("roundtable_room_reloads_total", "Rooms rebuilt by reading and replaying their whole log.",
            m.reloads.load());
  w.counter("roundtable_room_rebases_total",
            "Rooms sent back to the state the stream holds after another server's write beat theirs (--nats).",
            m.rebases.load());
  w.counter("roundtable_forwarded_total",
            "Participants' requests sent to the server that writes their session (--nats).", m.forwarded.load());
  w.counter("roundtable_forwards_served_total", "Requests other servers forwarded, decided and answered here.",
            m.forwards_served.load());
  w.counter("roundtable_forwards_decided_here_total",
            "Forwarded requests decided here after all, because the writing server did not answer.",
            m.forwards_decided_here.load());
  w.gauge("roundtable_sessions_quarantined",
          "Stored sessions not served because their log does not replay (named on stderr at start).",
          m.quarantined.load());
  store_families(w, st);
  vote_ack(w, m.vote_ack);
  build_and_process(w);
  return w.str();
}

}  // namespace roundtable::facilitator
