// The frames one WebSocket connection still has to write, oldest first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace roundtable::net::detail {

/// Frames waiting for one connection's writer, in order. A frame may carry a slot: a newer
/// frame of the same slot replaces one still waiting (a tally superseded before it left).
/// The first `busy` frames are being written and are never replaced or dropped. Every
/// function that removes frames returns their cost, for the connection's byte budget.
class frame_queue {
public:
  /// What one queued frame costs beyond its text: its slot here and the handler that carried
  /// it to the connection's strand.
  static constexpr std::size_t frame_overhead = 64;
  /// What a frame of this text costs against the budget.
  static std::size_t cost(const std::string& text) { return text.size() + frame_overhead; }

  /// Appends a frame; a waiting frame of the same non-zero slot goes first. Returns the cost
  /// of the frame replaced (0 when none).
  std::size_t push(std::shared_ptr<const std::string> text, std::uint64_t slot, std::size_t busy);
  /// The number of frames queued (those being written included).
  std::size_t size() const { return frames_.size() - head_; }
  bool empty() const { return size() == 0; }
  /// The i-th frame from the front.
  const std::string& at(std::size_t i) const { return *frames_[head_ + i].text; }
  /// Removes the front frame (it is written); returns its cost.
  std::size_t pop();
  /// Drops every frame after the first `keep`; returns their cost.
  std::size_t drop_after(std::size_t keep);

private:
  struct frame {
    std::shared_ptr<const std::string> text;
    std::uint64_t slot;  // 0: never replaced
  };
  // Nothing until the first push; released again once drained if it grew. Sent frames at the
  // front are reclaimed now and then rather than erased one by one.
  std::vector<frame> frames_;
  std::size_t head_ = 0;
};

}  // namespace roundtable::net::detail
