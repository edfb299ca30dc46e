#include "purge_watch.hpp"

#include "log.hpp"
#include "room_registry.hpp"
#include "store/log_store.hpp"

namespace roundtable::facilitator {

purge_watch::purge_watch(boost::asio::io_context& ioc, room_registry& rooms, store::log_reader& store,
                         cluster_link& cluster, std::function<void(const std::string& code)> forgotten)
    : rooms_(rooms), store_(store), cluster_(cluster), forgotten_(std::move(forgotten)), sweep_(ioc) {}

void purge_watch::start() {
  cluster_.on_purged([this](const std::string& code) {
    // On NATS's thread: the store is asked on the link's blocking thread, and only about a session held here.
    if (!is_code(code) || !rooms_.holds(code)) return;
    cluster_.run_blocking([this, code] { check({code}); });
  });
  arm_sweep();
}

void purge_watch::shutdown() {
  cluster_.on_purged(nullptr);
  sweep_.cancel();
}

void purge_watch::arm_sweep() {
  sweep_.expires_after(sweep_interval);
  sweep_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    cluster_.run_blocking([this, codes = rooms_.codes()] { check(codes); });
    arm_sweep();
  });
}

void purge_watch::check(const std::vector<std::string>& codes) {
  for (const auto& code : codes) {
    try {
      // A purged session keeps its code taken and has no row. Asked in this order: a code taken stays taken, and a
      // session being started meanwhile has its row from then on.
      if (!store_.code_used(code) || store_.session(code)) continue;
    } catch (const std::exception&) {
      continue;  // the store cannot tell now: the next sweep asks again
    }
    if (!rooms_.forget(code)) continue;
    forgotten_(code);
    log::write(log::level::info, "session_forgotten",
               "the session was purged (here or on another server): it left this server's memory", {{"code", code}});
  }
}

}  // namespace roundtable::facilitator
