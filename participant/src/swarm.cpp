// `participant swarm`: N simulated participants on one io_context, each with its own token
// and connection; they join at a ramp, each casts one random valid ballot inside the vote
// window, and the swarm measures join, ack and vote-to-results latencies. The pieces:
// swarm_options (the flags), swarm_run (the phases), swarm_host (the facilitator connection),
// swarm_pool (the participants), swarm_stats (the counters and the report).
#include <sys/resource.h>

#include <iostream>
#include <thread>

#include <boost/asio/io_context.hpp>

#include "commands.hpp"
#include "swarm_options.hpp"
#include "swarm_run.hpp"
#include "swarm_stats.hpp"

namespace roundtable::participant {

namespace {

// One descriptor per connection, plus a few: raise the soft limit to the hard one.
void raise_open_file_limit(int count) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
      static_cast<rlim_t>(count) + 20 > rl.rlim_cur)
    std::cerr << "swarm: warning: " << count << " connections need more than the open-file limit (" << rl.rlim_cur
              << "); run several swarm processes (--expect-ballots, --open-at)\n";
}

}  // namespace

int swarm_command(const std::vector<std::string>& args) {
  auto parsed = parse_swarm_options(args, std::cout);
  if (!parsed) return 0;
  auto& cfg = *parsed;
  raise_open_file_limit(cfg.count);
  cfg.server = client::resolve(cfg.url);
  boost::asio::io_context ioc(cfg.threads);
  swarm_run run(ioc, cfg);
  run.start();
  std::vector<std::thread> pool;
  for (int i = 1; i < cfg.threads; ++i) pool.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
  const auto r = run.report();
  std::cout << format_table(r);
  if (cfg.json_out) std::cout << to_json(r).dump() << "\n";
  std::cout << std::flush;
  return r.connected == r.participants && r.acked == r.participants && r.max_progress >= cfg.expect && r.fatal.empty()
             ? 0
             : 1;
}

}  // namespace roundtable::participant
