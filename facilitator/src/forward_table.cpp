#include "forward_table.hpp"

#include <algorithm>
#include <utility>

namespace roundtable::facilitator {

void forward_table::add(std::uint64_t token, forwarding f) {
  auto& in = in_flight_[f.voter];
  in.writer = f.writer;
  ++in.count;
  forwards_.emplace(token, std::move(f));
}

const forward_table::forwarding* forward_table::find(std::uint64_t token) const {
  const auto it = forwards_.find(token);
  return it == forwards_.end() ? nullptr : &it->second;
}

forward_table::forwarding forward_table::take(std::uint64_t token) {
  const auto it = forwards_.find(token);
  auto f = std::move(it->second);
  forwards_.erase(it);
  if (const auto in = in_flight_.find(f.voter); in != in_flight_.end() && --in->second.count == 0) in_flight_.erase(in);
  return f;
}

std::vector<forward_table::forwarding> forward_table::take_all_for(const std::string& writer) {
  const std::string gone = writer;  // writer may be a forward's own string, which this erases
  std::vector<std::uint64_t> tokens;
  for (const auto& [token, f] : forwards_)
    if (f.writer == gone) tokens.push_back(token);
  std::vector<forwarding> taken;
  for (const auto token : tokens) taken.push_back(take(token));
  if (ping_ && ping_->writer == gone) ping_.reset();
  return taken;
}

std::vector<forward_table::forwarding> forward_table::take_expired(clock::time_point now) {
  std::vector<std::uint64_t> tokens;
  for (const auto& [token, f] : forwards_)
    if (now - f.arrived >= forward_limit) tokens.push_back(token);
  std::vector<forwarding> taken;
  for (const auto token : tokens) taken.push_back(take(token));
  return taken;
}

const std::string* forward_table::in_flight(const std::string& voter) const {
  const auto in = in_flight_.find(voter);
  return in == in_flight_.end() ? nullptr : &in->second.writer;
}

void forward_table::heard(const std::string& writer, clock::time_point now) {
  last_answer_ = now;
  last_writer_ = writer;
  if (ping_ && ping_->writer == writer) ping_.reset();
}

std::optional<std::string> forward_table::answering(const std::string* first, clock::time_point now) const {
  if (last_writer_.empty() || now - last_answer_ >= writer_silence) return std::nullopt;
  if (first && *first < last_writer_) return std::nullopt;
  return last_writer_;
}

std::optional<std::string> forward_table::ping_due(clock::time_point now) const {
  if (ping_ || forwards_.empty()) return std::nullopt;
  const auto& oldest = forwards_.begin()->second;
  if (now - std::max(oldest.arrived, last_answer_) < writer_silence) return std::nullopt;
  return oldest.writer;
}

void forward_table::pinged(const std::string& writer, clock::time_point now) {
  ping_ = ping{writer, now};
}

std::optional<std::string> forward_table::ping_unanswered(clock::time_point now) const {
  if (!ping_ || now - ping_->sent < writer_silence) return std::nullopt;
  return ping_->writer;
}

bool forward_table::pause(clock::time_point now) {
  const bool was = paused(now);
  paused_until_ = now + forwarding_pause;
  return !was;
}

void forward_table::forget_decided_here(clock::time_point now) {
  std::erase_if(decided_here_, [now](const auto& v) { return now - v.second >= decided_here_kept; });
}

std::vector<forward_table::answer> forward_table::releasable(std::uint64_t folded, bool overdue,
                                                             clock::time_point now) {
  std::vector<answer> out;
  // In arrival order: a participant's answers keep the order of their requests.
  while (!due_.empty()) {
    auto& next = due_.front();
    if (next.through > folded && !(overdue && now - next.since >= writer_silence)) break;
    out.push_back(std::move(next.a));
    due_.pop_front();
  }
  return out;
}

}  // namespace roundtable::facilitator
