#include "recent_acks.hpp"

#include <algorithm>
#include <functional>

namespace roundtable::facilitator {

std::uint64_t recent_acks::key(std::string_view request, std::string_view content) {
  std::string both;
  both.reserve(request.size() + 1 + content.size());
  both.append(request).append(1, '\n').append(content);
  return std::hash<std::string>{}(both);
}

bool recent_acks::contains(const std::string& voter, std::string_view request, std::string_view content) const {
  const auto found = voters_.find(voter);
  if (found == voters_.end()) return false;
  const ring& r = found->second;
  return std::find(r.keys.begin(), r.keys.begin() + r.size, key(request, content)) != r.keys.begin() + r.size;
}

void recent_acks::remember(const std::string& voter, std::string_view request, std::string_view content) {
  if (contains(voter, request, content)) return;
  ring& r = voters_[voter];
  r.keys[r.next] = key(request, content);
  r.next = static_cast<std::uint8_t>((r.next + 1) % per_voter);
  r.size = static_cast<std::uint8_t>(std::min<std::size_t>(r.size + 1, per_voter));
}

}  // namespace roundtable::facilitator
