// One participant's last few requests, for idempotent resends in bounded memory (issue 12 item 4).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace roundtable {

/// The last `size` requests a participant made that changed something (an event carries each), as
/// hashes of their key and content. A request in the window is recognised when it comes again (acked,
/// applied once); an older one is forgotten and counts as a new request.
class request_window {
public:
  /// Why 8: a resend is a client retrying what it sent but got no answer for, after a reconnect; the
  /// pages send one request at a time and wait for its answer, so a retry comes before anything newer.
  /// 8 leaves room for a client that pipelines a few (the terminal participant resends all it has
  /// pending) and costs 128 bytes per participant, where keeping every id cost about 200 bytes per request.
  static constexpr std::size_t size = 8;

  /// True when this key was applied with this content and is still in the window.
  bool contains(std::string_view key, std::string_view content) const;
  /// Records an applied request: the same key with other content replaces the older entry (a reused
  /// id with other content is a new request), else the oldest entry gives way.
  void remember(std::string_view key, std::string_view content);
  /// How many requests are remembered (at most size).
  std::size_t remembered() const { return count_; }

private:
  struct entry {
    std::uint64_t key = 0;
    std::uint64_t content = 0;
  };
  std::array<entry, size> entries_{};  // oldest first
  std::uint8_t count_ = 0;             // entries in use
};

}  // namespace roundtable
