#include "presence_union.hpp"

#include <algorithm>
#include <iterator>

namespace roundtable::facilitator {

void presence_union::add(voter_id v) {
  if (v >= holders_.size()) holders_.resize(static_cast<std::size_t>(v) + 1, 0);
  if (holders_[v] == 0) ++held_;
  ++holders_[v];
}

void presence_union::remove(voter_id v) {
  if (v >= holders_.size() || holders_[v] == 0) return;
  if (--holders_[v] == 0) --held_;
}

void presence_union::replace(const std::vector<voter_id>& before, const std::vector<voter_id>& after) {
  std::vector<voter_id> gone, came;
  std::set_difference(before.begin(), before.end(), after.begin(), after.end(), std::back_inserter(gone));
  std::set_difference(after.begin(), after.end(), before.begin(), before.end(), std::back_inserter(came));
  for (const auto v : gone) remove(v);
  for (const auto v : came) add(v);
}

std::vector<voter_id> presence_union::ids() const {
  std::vector<voter_id> out;
  out.reserve(held_);
  for (std::size_t v = 0; v < holders_.size(); ++v)
    if (holders_[v]) out.push_back(static_cast<voter_id>(v));
  return out;
}

void sort_unique(std::vector<voter_id>& ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
}

}  // namespace roundtable::facilitator
