// Where several servers serve the same sessions (`serve --nats`): a session purged on one of them (its console,
// its confidential reaper, or `facilitator purge --nats`) leaves the memory of every other too. The store that
// purged says so on NATS (jetstream_store::purged_subject); a server that missed the word (core NATS delivers at
// most once: it was reconnecting) finds the purge at its next sweep of the sessions it holds. Either way the
// store is asked first: a forged word forgets nothing, and a flood of them asks about each session once at a time.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

namespace roundtable::store {
class log_reader;
}

namespace roundtable::facilitator {

class cluster_link;
class room_registry;

class purge_watch {
public:
  /// How often the sessions held are checked against the store, for a word missed (serve's; tests sweep sooner).
  static constexpr std::chrono::milliseconds default_sweep{60'000};

  /// forgotten(code) runs after a purged session left the registry (the app forgets its co-host key then).
  purge_watch(boost::asio::io_context& ioc, room_registry& rooms, store::log_reader& store, cluster_link& cluster,
              std::function<void(const std::string& code)> forgotten, std::chrono::milliseconds sweep = default_sweep);
  /// Stops listening (shutdown), so no word reaches a watch that is gone.
  ~purge_watch();
  purge_watch(const purge_watch&) = delete;
  purge_watch& operator=(const purge_watch&) = delete;

  /// Listens for the stores' word and arms the sweep. Throws if it cannot subscribe.
  void start();
  /// Stops listening and sweeping (server shutdown); the word's handler is never called after this returns.
  void shutdown();

private:
  /// Has the link's blocking thread check the codes not waiting for a check already.
  void ask(const std::vector<std::string>& codes);
  /// On the link's blocking thread: forgets each of codes the store says was purged; stops at the first the
  /// store cannot answer (it is unreachable: the next sweep asks again).
  void check(const std::vector<std::string>& codes);
  void arm_sweep();

  room_registry& rooms_;
  store::log_reader& store_;
  cluster_link& cluster_;
  std::function<void(const std::string&)> forgotten_;
  const std::chrono::milliseconds sweep_every_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;  // the sweep's timer and its stop
  boost::asio::steady_timer sweep_;
  std::atomic<bool> stopped_{false};
  std::mutex mutex_;
  std::set<std::string> asked_;  // codes whose check waits on the blocking thread
};

}  // namespace roundtable::facilitator
