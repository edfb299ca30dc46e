#include "purge_watch.hpp"

#include <boost/asio/post.hpp>

#include "log.hpp"
#include "room_registry.hpp"
#include "store/log_store.hpp"

namespace roundtable::facilitator {

purge_watch::purge_watch(boost::asio::io_context& ioc, room_registry& rooms, store::log_reader& store,
                         cluster_link& cluster, std::function<void(const std::string& code)> forgotten,
                         std::chrono::milliseconds sweep)
    : rooms_(rooms),
      store_(store),
      cluster_(cluster),
      forgotten_(std::move(forgotten)),
      sweep_every_(sweep),
      strand_(ioc.get_executor()),
      sweep_(strand_) {}

purge_watch::~purge_watch() {
  cluster_.on_purged(nullptr);
}

void purge_watch::start() {
  cluster_.on_purged([this](const std::string& code) {
    // On NATS's thread: only a session held here is asked about, off every strand.
    if (is_code(code) && rooms_.holds(code)) ask({code});
  });
  boost::asio::post(strand_, [this] { arm_sweep(); });
}

void purge_watch::shutdown() {
  stopped_ = true;
  cluster_.on_purged(nullptr);
  boost::asio::post(strand_, [this] { sweep_.cancel(); });
}

void purge_watch::arm_sweep() {
  if (stopped_) return;
  sweep_.expires_after(sweep_every_);
  sweep_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    ask(rooms_.codes());
    arm_sweep();
  });
}

void purge_watch::ask(const std::vector<std::string>& codes) {
  std::vector<std::string> fresh;
  {
    std::lock_guard lock(mutex_);
    for (const auto& code : codes)
      if (asked_.insert(code).second) fresh.push_back(code);
  }
  if (fresh.empty()) return;
  if (!cluster_.run_blocking([this, fresh] { check(fresh); })) {
    std::lock_guard lock(mutex_);  // the thread is full: the next word or sweep asks again
    for (const auto& code : fresh) asked_.erase(code);
  }
}

void purge_watch::check(const std::vector<std::string>& codes) {
  bool reachable = true;
  for (const auto& code : codes) {
    bool purged = false;
    try {
      // A purged session keeps its code taken and has no row. Asked in this order: a code taken stays taken, and a
      // session being started meanwhile has its row from then on.
      purged = reachable && store_.code_used(code) && !store_.session(code);
    } catch (const std::exception&) {
      reachable = false;
    }
    {
      std::lock_guard lock(mutex_);
      asked_.erase(code);
    }
    if (!purged || !rooms_.forget(code)) continue;
    forgotten_(code);
    log::write(log::level::info, "session_forgotten",
               "the session was purged (here or on another server): it left this server's memory", {{"code", code}});
  }
}

}  // namespace roundtable::facilitator
