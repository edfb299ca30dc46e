// A wait the swarm gives up on after a while: armed once, then over when its time runs out.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

namespace roundtable::participant {

/// One bounded wait on a strand: idle, then waiting (the timer runs), then over.
class bounded_wait {
public:
  using strand_type = boost::asio::strand<boost::asio::io_context::executor_type>;
  enum class state { idle, waiting, over };

  bounded_wait(strand_type strand, std::chrono::milliseconds limit) : strand_(strand), limit_(limit) {}

  /// True unless the wait is over; the first call starts the timer, and on_over runs once it runs out.
  bool still_waiting(std::function<void()> on_over) {
    if (state_ == state::over) return false;
    if (state_ == state::idle) {
      state_ = state::waiting;
      timer_.emplace(strand_, limit_);
      timer_->async_wait([this, on_over = std::move(on_over)](boost::system::error_code ec) {
        if (ec) return;
        state_ = state::over;
        on_over();
      });
    }
    return true;
  }
  /// True once the timer was started (from any thread).
  bool started() const { return state_ != state::idle; }
  /// Stops the timer; on_over does not run.
  void cancel() {
    if (timer_) timer_->cancel();
  }

private:
  strand_type strand_;
  std::chrono::milliseconds limit_;
  std::optional<boost::asio::steady_timer> timer_;
  std::atomic<state> state_{state::idle};
};

}  // namespace roundtable::participant
