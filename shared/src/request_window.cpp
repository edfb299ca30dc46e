#include "roundtable/request_window.hpp"

#include <algorithm>
#include <functional>

namespace roundtable {
namespace {

// 64-bit hashes stand for the key and the content: two different requests of one participant would
// have to collide in both (about 2^-128) to be taken for one another.
std::uint64_t hash(std::string_view s) {
  return std::hash<std::string_view>{}(s);
}

}  // namespace

bool request_window::contains(std::string_view key, std::string_view content) const {
  const auto k = hash(key);
  const auto c = hash(content);
  return std::any_of(entries_.begin(), entries_.begin() + count_,
                     [&](const entry& e) { return e.key == k && e.content == c; });
}

void request_window::remember(std::string_view key, std::string_view content) {
  const entry added{hash(key), hash(content)};
  auto* end = entries_.begin() + count_;
  auto* same = std::find_if(entries_.begin(), end, [&](const entry& e) { return e.key == added.key; });
  if (same == end && count_ == size) same = entries_.begin();  // full: the oldest gives way
  if (same != end) {
    std::move(same + 1, end, same);  // close the gap; the added entry goes last (newest)
    --count_;
  }
  entries_[count_++] = added;
}

}  // namespace roundtable
