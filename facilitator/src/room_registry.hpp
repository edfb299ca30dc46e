// Every live session's room by its code: rebuilt from the store at start, grown by `start`,
// shrunk by `purge`. Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "room.hpp"
#include "roundtable/protocol.hpp"
#include "roundtable/scenario.hpp"

namespace roundtable::facilitator {

/// True for a well-formed session code: six digits.
bool is_code(std::string_view s);

class room_registry {
public:
  /// Rebuilds every stored session. One whose log does not replay is quarantined: not served, named
  /// on stderr with the reason, counted in metrics.quarantined. Throws only if the store cannot list them.
  room_registry(boost::asio::io_context& ioc, room_services& services);

  /// The room of a code, or null. Where other servers share the log (services.cluster), a session one of them
  /// started is loaded from the store on first use (room_loading.cpp).
  std::shared_ptr<room> find(const std::string& code) const;
  /// Sessions held (running and ended).
  std::size_t size() const;
  /// Every session's summary, newest first.
  std::vector<room_summary> summaries() const;

  /// Starts a session of sc for owner (a facilitator key's name; empty: the admin) under a fresh code
  /// and stores its started event; stored(room, ok)
  /// runs on the writer thread once the write is done. A session that could not be stored is
  /// forgotten again before stored(room, false) runs.
  std::shared_ptr<room> start(const scenario& sc, int min_group, const protocol::start& s, std::string owner,
                              std::function<void(const std::shared_ptr<room>&, bool)> stored);
  /// Deletes a session for good (store and room) and stops its timers.
  void purge(const std::string& code);
  /// Forgets a session another server purged: its room, its timers and subscriptions; the store is not asked.
  /// False when it was not held.
  bool forget(const std::string& code);
  /// True when the session is held here (never loads it from the store, unlike find).
  bool holds(const std::string& code) const;
  /// The codes of the sessions held.
  std::vector<std::string> codes() const;
  /// Stops every room's timers (server shutdown).
  void shutdown();

private:
  /// The room of a stored session (null for one created but never started), or why its log does not replay.
  result<std::shared_ptr<room>> rebuild(const std::string& code, const std::string& hmac_key) const;
  void quarantine(const std::string& code, const std::string& why) const;
  /// Six random digits never used in this store (ended and purged sessions keep theirs).
  std::string new_code() const;
  /// Holds r under its code and, where the log is shared, has it follow the stream; returns the room
  /// held (another thread's, when it loaded the same session first).
  std::shared_ptr<room> hold(std::shared_ptr<room> r) const;
  /// A session another server started, read from the store (null: no such session here either).
  std::shared_ptr<room> load(const std::string& code) const;

  boost::asio::io_context& ioc_;
  room_services& services_;
  mutable std::mutex mutex_;
  // mutable: find() fills it from the shared store (a cache of the sessions the store holds).
  mutable std::map<std::string, std::shared_ptr<room>> rooms_;
};

}  // namespace roundtable::facilitator
