#include "metrics_page.hpp"

#include <sstream>

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
  w.histogram("roundtable_commit_seconds", "Time from BEGIN to the end of COMMIT of one group-commit batch.",
              store::commit_latency_bounds_ms, 1e-3, st.commit_latency_buckets,
              static_cast<double>(st.commit_latency_us_sum) / 1e6);
  w.histogram("roundtable_commit_batch_writes", "Writes in one group-commit batch.", store::batch_size_bounds, 1.0,
              st.batch_size_buckets, static_cast<double>(st.writes_committed + st.writes_failed));
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
  w.counter("roundtable_dropped_total", "Requests answered internal because a write failed.", m.write_failures.load());
  w.counter("roundtable_internal_errors_total",
            "Exceptions caught at a room's boundary (answered internal; the room reloads from the store).",
            m.internal_errors.load());
  w.gauge("roundtable_sessions_quarantined",
          "Stored sessions not served because their log does not replay (named on stderr at start).",
          m.quarantined.load());
  store_families(w, st);
  return w.str();
}

}  // namespace roundtable::facilitator
