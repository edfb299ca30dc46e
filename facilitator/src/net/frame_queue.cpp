#include "frame_queue.hpp"

namespace roundtable::net::detail {

namespace {

// A vector that grew past this many slots is released once drained.
constexpr std::size_t keep_slots = 16;

}  // namespace

std::size_t frame_queue::push(std::shared_ptr<const std::string> text, std::uint64_t slot, std::size_t busy) {
  std::size_t replaced = 0;
  if (slot != 0) {
    for (std::size_t i = head_ + busy; i < frames_.size(); ++i) {
      if (frames_[i].slot != slot) continue;
      replaced = cost(*frames_[i].text);
      frames_.erase(frames_.begin() + static_cast<std::ptrdiff_t>(i));
      break;  // at most one per slot is ever queued
    }
  }
  frames_.push_back({std::move(text), slot});
  return replaced;
}

std::size_t frame_queue::pop() {
  const std::size_t released = cost(*frames_[head_].text);
  frames_[head_].text.reset();
  ++head_;
  if (head_ == frames_.size()) {
    head_ = 0;
    if (frames_.capacity() > keep_slots)
      std::vector<frame>().swap(frames_);
    else
      frames_.clear();
  } else if (head_ >= keep_slots && head_ * 2 >= frames_.size()) {
    frames_.erase(frames_.begin(), frames_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
  return released;
}

std::size_t frame_queue::drop_after(std::size_t keep) {
  std::size_t released = 0;
  for (std::size_t i = head_ + keep; i < frames_.size(); ++i) released += cost(*frames_[i].text);
  if (head_ + keep < frames_.size()) frames_.resize(head_ + keep);
  return released;
}

}  // namespace roundtable::net::detail
