// The votes a room acked without an event, remembered for resends.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace roundtable::facilitator {

/// The last few votes of each voter that were acked without an event because their ballot was already
/// the current one. The core's request window remembers only requests that made an event, so without
/// this a resend of such a vote arriving after a newer ballot would count as a new vote and put the older
/// ballot back. Memory only (after a restart the core decides a resend alone), bounded per voter.
class recent_acks {
public:
  /// As many as the core's request window keeps, for the same reason: a client resends what is unanswered
  /// before it sends anything new.
  static constexpr std::size_t per_voter = 8;

  /// True when this voter's request with this content was acked without an event lately.
  bool contains(const std::string& voter, std::string_view request, std::string_view content) const;
  /// Remembers a request acked without an event; the voter's oldest one is forgotten past per_voter.
  void remember(const std::string& voter, std::string_view request, std::string_view content);

private:
  struct ring {
    std::array<std::uint64_t, per_voter> keys{};
    std::uint8_t size = 0;
    std::uint8_t next = 0;
  };
  static std::uint64_t key(std::string_view request, std::string_view content);
  std::unordered_map<std::string, ring> voters_;
};

}  // namespace roundtable::facilitator
