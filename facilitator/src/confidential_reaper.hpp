// Confidential sessions (`start` with "confidential":true) are purged, case text and all, once they
// have ended: `--confidential-retention` minutes after their end (0: at once).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace roundtable::facilitator {

class room_registry;

class confidential_reaper {
public:
  confidential_reaper(boost::asio::io_context& ioc, room_registry& rooms, std::chrono::minutes retention);

  /// Purges the session `retention` after ended_ms (wall clock), at once when that is past.
  void schedule(const std::string& code, std::int64_t ended_ms);
  /// Schedules every confidential session that had ended before a restart.
  void schedule_held();
  /// Cancels the waiting purges (server shutdown; they run again at the next start).
  void shutdown();

private:
  void purge(const std::string& code);

  boost::asio::io_context& ioc_;
  room_registry& rooms_;
  std::chrono::minutes retention_;
  std::mutex mutex_;
  bool stopped_ = false;
  std::map<std::string, std::shared_ptr<boost::asio::steady_timer>> timers_;
};

}  // namespace roundtable::facilitator
