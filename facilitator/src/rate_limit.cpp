#include "rate_limit.hpp"

#include <algorithm>
#include <limits>

namespace roundtable::facilitator {

token_bucket::token_bucket(int burst, int per_second, nanos now)
    : capacity_(static_cast<std::int64_t>(std::max(burst, 1)) * unit),
      rate_(std::max(per_second, 1)),  // tokens a second == units a nanosecond
      units_(capacity_),
      last_(now) {}

bool token_bucket::take(nanos now) {
  if (now > last_) {
    // Cap the elapsed time before multiplying: no overflow after a long idle.
    const std::int64_t full_after = capacity_ / rate_ + 1;
    const std::int64_t elapsed = std::min<std::int64_t>(now - last_, full_after);
    units_ = std::min(capacity_, units_ + elapsed * rate_);
    last_ = now;
  }
  if (units_ < unit) return false;
  units_ -= unit;
  return true;
}

nanos refusal_streak::refused(nanos now) {
  if (!any_ || now - last_ > pause) first_ = now;
  any_ = true;
  last_ = now;
  return now - first_;
}

failure_window::failure_window(int max, nanos window)
    : max_(static_cast<std::size_t>(std::max(max, 1))), window_(window) {}

void failure_window::expire(nanos now) {
  const auto first_kept = std::find_if(times_.begin(), times_.end(), [&](nanos t) { return t > now - window_; });
  times_.erase(times_.begin(), first_kept);
}

bool failure_window::limited(nanos now) {
  expire(now);
  return times_.size() >= max_;
}

void failure_window::record(nanos now) {
  expire(now);
  times_.push_back(now);
  if (times_.size() > max_) times_.erase(times_.begin(), times_.end() - static_cast<std::ptrdiff_t>(max_));
}

bool failure_window::idle(nanos now) {
  expire(now);
  return times_.empty();
}

std::size_t failure_window::count(nanos now) {
  expire(now);
  return times_.size();
}

failure_table::failure_table(int max_per_key, nanos window, std::size_t max_keys)
    : max_per_key_(max_per_key), window_(window), max_keys_(std::max<std::size_t>(max_keys, 1)) {}

bool failure_table::limited(const std::string& key, nanos now) {
  const std::lock_guard lock(mutex_);
  const auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  if (it->second.idle(now)) {
    entries_.erase(it);
    return false;
  }
  return it->second.limited(now);
}

void failure_table::record(const std::string& key, nanos now) {
  const std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (entries_.size() >= max_keys_) make_room(now);
    it = entries_.emplace(key, failure_window(max_per_key_, window_)).first;
  }
  it->second.record(now);
}

std::size_t failure_table::size() const {
  const std::lock_guard lock(mutex_);
  return entries_.size();
}

void failure_table::make_room(nanos now) {
  // Called with the lock held, only when full: O(n) now and then, nothing per request.
  for (auto it = entries_.begin(); it != entries_.end();)
    it = it->second.idle(now) ? entries_.erase(it) : std::next(it);
  if (entries_.size() < max_keys_) return;
  // Everyone is still within the window: forget the one that failed longest ago.
  auto stalest = entries_.end();
  nanos oldest = std::numeric_limits<nanos>::max();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    const nanos last = it->second.last();
    if (last < oldest) {
      oldest = last;
      stalest = it;
    }
  }
  if (stalest != entries_.end()) entries_.erase(stalest);
}

}  // namespace roundtable::facilitator
