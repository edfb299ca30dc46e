#include "confidential_reaper.hpp"

#include <iostream>

#include "room_registry.hpp"

namespace roundtable::facilitator {

confidential_reaper::confidential_reaper(boost::asio::io_context& ioc, room_registry& rooms,
                                         std::chrono::minutes retention)
    : ioc_(ioc), rooms_(rooms), retention_(retention) {}

void confidential_reaper::schedule(const std::string& code, std::int64_t ended_ms) {
  const auto now = std::chrono::system_clock::now();
  const auto due = std::chrono::system_clock::time_point(std::chrono::milliseconds(ended_ms)) + retention_;
  auto timer = std::make_shared<boost::asio::steady_timer>(ioc_);
  timer->expires_after(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(due > now ? due - now : now - now));
  {
    std::lock_guard lock(mutex_);
    if (stopped_ || timers_.count(code)) return;
    timers_.emplace(code, timer);
  }
  // The purge waits for the store's writer, so it runs as its own handler, never inside a room's
  // strand or the writer's completion.
  timer->async_wait([this, code, timer](const boost::system::error_code& ec) {
    if (!ec) purge(code);
  });
}

void confidential_reaper::schedule_held() {
  for (const auto& s : rooms_.summaries())
    if (s.confidential && s.ended) schedule(s.code, s.ended_ms);
}

void confidential_reaper::shutdown() {
  std::lock_guard lock(mutex_);
  stopped_ = true;
  for (auto& [code, timer] : timers_) timer->cancel();
  timers_.clear();
}

void confidential_reaper::purge(const std::string& code) {
  {
    std::lock_guard lock(mutex_);
    timers_.erase(code);
  }
  try {
    rooms_.purge(code);
  } catch (const std::exception& e) {
    // Tried again at the next start (schedule_held); nothing thrown may reach the io_context.
    std::cerr << "warning: confidential session " << code << " could not be purged: " << e.what() << "\n";
  }
}

}  // namespace roundtable::facilitator
